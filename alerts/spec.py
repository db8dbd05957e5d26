"""The SLO and alert spec (alerts/slos.yaml), validated once into frozen pydantic models.

Durations stay in Prometheus notation (``5m``, ``1h30m``); ``Duration.scaled`` gives the fast profile's.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "SPEC_PATH",
    "AlertSpec",
    "BurnWindow",
    "Slo",
    "SpecError",
    "default_spec",
    "format_duration",
    "load_spec",
    "parse_duration",
]

SPEC_PATH = Path(__file__).with_name("slos.yaml")

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class SpecError(Exception):
    """alerts/slos.yaml cannot be used; the message names the field and the problem."""


def parse_duration(text: str) -> int:
    """``1h30m`` -> 5400 seconds. Only the units rule windows use (d, h, m, s)."""
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"not a duration like 5m or 1h30m: {text!r}")
    return sum(int(part) * seconds for part, seconds in zip(match.groups(), _UNITS.values(), strict=True) if part)


def format_duration(seconds: float) -> str:
    """Seconds to compound Prometheus notation, rounded to whole seconds and at least ``1s``."""
    remaining = max(1, round(seconds))
    out = ""
    for unit, size in _UNITS.items():
        count, remaining = divmod(remaining, size)
        if count:
            out += f"{count}{unit}"
    return out


def _as_seconds(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Seconds = Annotated[int, BeforeValidator(_as_seconds), Field(gt=0)]
Severity = Literal["page", "ticket"]
Source = Literal["production", "synthetic"]
Channel = Literal["online", "pos"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Links(Frozen):
    grafana_base_url: Annotated[str, Field(pattern=r"^https?://\S+[^/]$")]
    runbook_base_url: Annotated[str, Field(pattern=r"^https?://\S+[^/]$")]


class BurnWindow(Frozen):
    severity: Severity
    long: Seconds
    short: Seconds
    factor: Annotated[float, Field(gt=0)]
    for_: Annotated[Seconds, Field(alias="for")]

    @model_validator(mode="after")
    def _short_inside_long(self) -> BurnWindow:
        if self.short >= self.long:
            raise ValueError("short window must be shorter than the long one")
        return self


class Slo(Frozen):
    slo: Literal["availability", "latency"]
    source: Source
    channels: Annotated[list[Channel], Field(min_length=1)]
    objective: Annotated[float, Field(gt=0, lt=1)]
    severities: Annotated[list[Severity], Field(min_length=1)]
    min_event_rate: Annotated[float, Field(ge=0)]
    threshold_seconds: Annotated[float, Field(gt=0)] | None = None
    description: str

    @model_validator(mode="after")
    def _latency_has_threshold(self) -> Slo:
        if (self.slo == "latency") != (self.threshold_seconds is not None):
            raise ValueError("threshold_seconds is required for latency SLOs and only for them")
        return self

    @property
    def error_budget(self) -> float:
        return round(1.0 - self.objective, 10)


class JourneyThresholds(Frozen):
    failure_ratio: Annotated[float, Field(gt=0, le=1)]
    page_min_regions: Annotated[int, Field(ge=2)]
    for_: Annotated[Seconds, Field(alias="for")]
    ticket_for: Seconds


class ChannelDown(Frozen):
    failure_ratio: Annotated[float, Field(gt=0, le=1)]
    min_event_rate: Annotated[float, Field(ge=0)]
    for_: Annotated[Seconds, Field(alias="for")]


class StepFailures(Frozen):
    journeys: str
    """Regular expression over the ``journey`` label."""
    steps: str
    failure_ratio: Annotated[float, Field(gt=0, le=1)]
    for_: Annotated[Seconds, Field(alias="for")]


class ReasonSpike(Frozen):
    share: Annotated[float, Field(gt=0, le=1)]
    min_event_rate: Annotated[float, Field(ge=0)]
    for_: Annotated[Seconds, Field(alias="for")]


class P99Latency(Frozen):
    production_seconds: Annotated[float, Field(gt=0)]
    synthetic_seconds: Annotated[float, Field(gt=0)]
    for_: Annotated[Seconds, Field(alias="for")]


class Disagreement(Frozen):
    gap: Annotated[float, Field(gt=0, le=1)]
    for_: Annotated[Seconds, Field(alias="for")]


class Telemetry(Frozen):
    for_: Annotated[Seconds, Field(alias="for")]
    absent_for: Seconds
    """How long a scrape job may have no ``up`` series at all: longer than Prometheus's own start-up."""


class Stale(Frozen):
    no_success_for: Seconds
    no_run_for: Seconds
    no_run_for_at_least: Seconds
    """A floor that does not scale: journey timeouts are wall-clock in every profile."""
    log_silent_for: Seconds
    for_: Annotated[Seconds, Field(alias="for")]


class Holds(Frozen):
    for_: Annotated[Seconds, Field(alias="for")]


class Thresholds(Frozen):
    journey: JourneyThresholds
    channel_down: ChannelDown
    issuance: StepFailures
    binding: StepFailures
    reason_spike: ReasonSpike
    p99_latency: P99Latency
    disagreement: Disagreement
    telemetry: Telemetry
    stale: Stale
    holds: Holds


class RepeatIntervals(Frozen):
    page: Seconds
    ticket: Seconds


class AlertmanagerTiming(Frozen):
    group_by: Annotated[list[str], Field(min_length=1)]
    group_wait: Seconds
    group_interval: Seconds
    repeat_interval: RepeatIntervals
    watchdog_repeat_interval: Seconds
    resolve_timeout: Seconds


class AlertSpec(Frozen):
    links: Links
    burn_windows: Annotated[list[BurnWindow], Field(min_length=1)]
    source_jobs: dict[Source, str]
    slos: Annotated[list[Slo], Field(min_length=1)]
    journeys: dict[str, Channel]
    thresholds: Thresholds
    alertmanager: AlertmanagerTiming

    @model_validator(mode="after")
    def _consistent(self) -> AlertSpec:
        keys = [(s.slo, s.source) for s in self.slos]
        if len(set(keys)) != len(keys):
            raise ValueError(f"each (slo, source) pair may appear once: {keys}")
        missing = {s.source for s in self.slos} - set(self.source_jobs)
        if missing:
            raise ValueError(f"source_jobs lacks {sorted(missing)}")
        return self

    @property
    def windows(self) -> list[int]:
        """Every window a rule needs, shortest first: the SLI recording rules cover exactly these."""
        return sorted({w.long for w in self.burn_windows} | {w.short for w in self.burn_windows})

    @property
    def longest_window(self) -> int:
        return max(self.windows)


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid alert spec"]
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {location}: {error['msg']}")
    return "\n".join(lines)


def load_spec(path: Path | str = SPEC_PATH) -> AlertSpec:
    """Read and validate the spec; raise ``SpecError`` naming the file and field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from exc
    try:
        return AlertSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_format_error(path, exc)) from None


@cache
def default_spec() -> AlertSpec:
    """The committed spec, read once per process."""
    return load_spec(SPEC_PATH)
