"""Configuration: one YAML file validated once, at start, into frozen pydantic models.

A bad file raises ``ConfigError`` naming the file, the field path and the problem. With no
file, ``default_config()`` targets the sandbox's default addresses with three regions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from paywatch import environment
from paywatch.cards import luhn_check_digit, luhn_valid

__all__ = [
    "BUILTIN_JOURNEYS",
    "PROFILES",
    "CardApiTarget",
    "ConfigError",
    "Endpoint",
    "JourneySpec",
    "PaywatchConfig",
    "PosCard",
    "PosHostTarget",
    "ProbeSettings",
    "Region",
    "SandboxSettings",
    "SandboxTerminal",
    "Targets",
    "Terminal",
    "default_config",
    "load_config",
]

PROFILES: dict[str, float] = {"production": 1.0, "fast": 1.0 / 15.0}
"""Time profiles: every interval and window is multiplied by the profile's ``time_scale``."""

BUILTIN_JOURNEYS = ("virtual_card_online", "pos_purchase", "credit_line_binding")

SANDBOX_TEST_BIN = "622999"
"""BIN range of the sandbox's test cards."""

_SLUG = r"^[a-z][a-z0-9_-]{0,31}$"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file, field and problem."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(Frozen):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class CardApiTarget(Frozen):
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/.*)?$")] = "http://127.0.0.1:8480"
    api_key: SecretStr = SecretStr("sandbox-probe-key")


class PosHostTarget(Frozen):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8583


class Targets(Frozen):
    card_api: CardApiTarget = CardApiTarget()
    pos_host: PosHostTarget = PosHostTarget()


class Terminal(Frozen):
    """A POS terminal the probe may use: ISO 8583 field 41 (8 chars) and field 42 (15 chars)."""

    id: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}$")]
    merchant_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{15}$")]


class PosCard(Frozen):
    """The region's synthetic test card for POS journeys. Never logged; shown masked only."""

    pan: SecretStr
    expiry: SecretStr  # YYMM, as in ISO 8583 field 14
    credit_line_id: str

    @field_validator("pan")
    @classmethod
    def _pan_is_luhn_valid(cls, value: SecretStr) -> SecretStr:
        if not luhn_valid(value.get_secret_value()):
            raise ValueError("not a Luhn-valid card number (value not shown)")
        return value

    @field_validator("expiry")
    @classmethod
    def _expiry_is_yymm(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"\d{2}(0[1-9]|1[0-2])", value.get_secret_value()):
            raise ValueError("expected YYMM (value not shown)")
        return value


class Region(Frozen):
    name: Annotated[str, Field(pattern=_SLUG)]
    terminals: Annotated[list[Terminal], Field(min_length=1)]
    online_credit_line_id: str
    pos_card: PosCard


class JourneySpec(Frozen):
    """One journey to run. ``module`` (``package.module:factory``) names a user journey."""

    name: Annotated[str, Field(pattern=_SLUG)]
    module: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] | None = None
    enabled: bool = True
    interval_s: Annotated[float, Field(gt=0)] = 30.0
    jitter: Annotated[float, Field(ge=0, le=1)] = 0.1
    timeout_s: Annotated[float, Field(gt=0)] = 20.0
    step_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    concurrency: Annotated[int, Field(ge=1, le=64)] = 1
    regions: list[str] | None = None
    options: dict[str, Any] = {}

    @model_validator(mode="after")
    def _known_or_module(self) -> JourneySpec:
        if self.module is None and self.name not in BUILTIN_JOURNEYS:
            raise ValueError(
                f"journey {self.name!r} is not built in ({', '.join(BUILTIN_JOURNEYS)}) and names no module"
            )
        if self.step_timeout_s > self.timeout_s:
            raise ValueError("step_timeout_s must not exceed timeout_s")
        return self


class ProbeSettings(Frozen):
    metrics: Endpoint = Endpoint(port=9470)
    amount_minor: Annotated[int, Field(gt=0)] = 100
    currency: Annotated[str, Field(pattern=r"^\d{3}$")] = "156"
    reversal_backoff_initial_s: Annotated[float, Field(gt=0)] = 0.5
    reversal_backoff_max_s: Annotated[float, Field(gt=0)] = 30.0
    state_dir: Path | None = None


class SandboxTerminal(Frozen):
    id: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}$")]
    merchant_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{15}$")]
    region: Annotated[str, Field(pattern=_SLUG)]
    credit_line: bool = True
    """False for terminals whose software lacks credit-line support: they decline with 57/58."""


class SandboxSettings(Frozen):
    http: Endpoint = Endpoint(port=8480)
    iso: Endpoint = Endpoint(port=8583)
    api_keys: list[SecretStr] = [SecretStr("sandbox-probe-key"), SecretStr("sandbox-traffic-key")]
    event_log: Path | None = None
    state_dir: Path | None = None
    traffic_rate: Annotated[float, Field(ge=0, le=10000)] = 0.0
    seed: int = 8583
    issuer_latency_median_ms: Annotated[float, Field(ge=0, le=10000)] = 20.0
    """The issuer's own decision time is log-normal around this median (0 turns it off)."""
    issuer_latency_sigma: Annotated[float, Field(ge=0, le=3)] = 0.6
    terminals: list[SandboxTerminal] = []


class PaywatchConfig(Frozen):
    profile: Literal["production", "fast"] | None = None
    time_scale: Annotated[float, Field(gt=0, le=1)] | None = None
    targets: Targets = Targets()
    regions: Annotated[list[Region], Field(min_length=1)]
    journeys: list[JourneySpec] = [JourneySpec(name=n) for n in BUILTIN_JOURNEYS]
    probe: ProbeSettings = ProbeSettings()
    sandbox: SandboxSettings = SandboxSettings()

    @model_validator(mode="after")
    def _cross_references(self) -> PaywatchConfig:
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique: {names}")
        for journey in self.journeys:
            for region in journey.regions or []:
                if region not in names:
                    raise ValueError(f"journey {journey.name!r} names unknown region {region!r}")
        journey_names = [j.name for j in self.journeys]
        if len(set(journey_names)) != len(journey_names):
            raise ValueError(f"journey names must be unique: {journey_names}")
        return self

    @property
    def scale(self) -> float:
        """The effective time scale: explicit ``time_scale``, else the profile's, else 1."""
        if self.time_scale is not None:
            return self.time_scale
        profile = self.profile or environment.profile_name() or "production"
        return PROFILES.get(profile, 1.0)

    def scaled(self, seconds: float) -> float:
        return seconds * self.scale

    def region(self, name: str) -> Region:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def sandbox_terminals(self) -> list[SandboxTerminal]:
        """The sandbox's terminals: configured ones, or every probe terminal plus one per region
        without credit-line support."""
        if self.sandbox.terminals:
            return list(self.sandbox.terminals)
        out: list[SandboxTerminal] = []
        for index, region in enumerate(self.regions):
            for terminal in region.terminals:
                out.append(SandboxTerminal(id=terminal.id, merchant_id=terminal.merchant_id, region=region.name))
            out.append(
                SandboxTerminal(
                    id=f"L{index:02d}LEGCY",
                    merchant_id=f"M{index:02d}LEGACYSTORE1",
                    region=region.name,
                    credit_line=False,
                )
            )
        return out

    def state_dir(self) -> Path:
        return self.probe.state_dir or environment.state_dir()


DEFAULT_REGIONS = ("north", "south", "west")


def _test_pan(serial: int) -> str:
    partial = f"{SANDBOX_TEST_BIN}9{serial:08d}"
    return partial + luhn_check_digit(partial)


def default_config() -> PaywatchConfig:
    """Built-in configuration: the sandbox's default addresses and three regions."""
    regions = []
    for index, name in enumerate(DEFAULT_REGIONS):
        code = name[:2].upper()
        regions.append(
            Region(
                name=name,
                terminals=[Terminal(id=f"T{code}{index:02d}001", merchant_id=f"M{code}{index:02d}STORE00001")],
                online_credit_line_id=f"CL-SYN-{name.upper()}-ONLINE",
                pos_card=PosCard(
                    pan=SecretStr(_test_pan(index + 1)),
                    expiry=SecretStr("3012"),
                    credit_line_id=f"CL-SYN-{name.upper()}-POS",
                ),
            )
        )
    return PaywatchConfig(regions=regions)


def _format_error(path: Path | str, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {location}: {error['msg']}")
    return "\n".join(lines)


def load_config(path: Path | str | None = None) -> PaywatchConfig:
    """Load and validate ``path`` (or ``$PAYWATCH_CONFIG``); no file means ``default_config()``.

    A file may give only some sections; ``regions`` defaults to the built-in ones."""
    if path is None:
        path = environment.config_path()
    if path is None:
        return default_config()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping, got {type(raw).__name__}")
    if "regions" not in raw:
        raw["regions"] = [r.model_dump(mode="python") for r in default_config().regions]
        for region in raw["regions"]:
            card = region["pos_card"]
            card["pan"], card["expiry"] = card["pan"].get_secret_value(), card["expiry"].get_secret_value()
    try:
        return PaywatchConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None
