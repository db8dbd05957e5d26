"""Every metric family paywatch exposes, defined once, and the cardinality guard for their labels.

Nothing registers at import time: ``ProbeFamilies(registry)`` creates the probe-side collectors on the
registry it is given; ``FamilySpec`` carries names, help and buckets for custom collectors (authlog).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

import paywatch
from paywatch.taxonomy import Outcome, Reason

__all__ = [
    "AUTHLOG_FAMILIES",
    "CHANNELS",
    "CONTRACT_FAMILIES",
    "HEALTH_FAMILIES",
    "LATENCY_BUCKETS",
    "OTHER",
    "PHASES",
    "PHASE_BUCKETS",
    "PROBE_OUTCOMES",
    "SOURCES",
    "FamilySpec",
    "LabelGuard",
    "ProbeFamilies",
    "bounded",
]

OTHER = "other"

LATENCY_BUCKETS: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 20.0, 30.0)
"""Payment latency, seconds: card schemes time out around 20-30 s; SLO thresholds sit at 1 s and 2.5 s."""

PHASE_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Transport phases (DNS, connect, TLS, first byte) are an order of magnitude shorter than a payment."""

CHANNELS = frozenset({"online", "pos"})
SOURCES = frozenset({"synthetic", "production"})
AUTH_OUTCOMES = frozenset(o.value for o in Outcome)
PROBE_OUTCOMES = frozenset({"success", "failure"})
PHASES = frozenset({"dns", "connect", "tls", "first_byte", "response"})
REASONS = frozenset(r.value for r in Reason)

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True, slots=True)
class FamilySpec:
    """One metric family: ``name`` is the exposed family name (counters end in ``_total``)."""

    name: str
    kind: Kind
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None

    @property
    def base_name(self) -> str:
        """The name prometheus_client and the OpenMetrics ``# TYPE`` line use (no ``_total``)."""
        return self.name.removesuffix("_total") if self.kind == "counter" else self.name


def _spec(name: str, kind: Kind, doc: str, *labels: str, buckets: tuple[float, ...] | None = None) -> FamilySpec:
    return FamilySpec(name, kind, doc, labels, buckets)


AUTHORIZATIONS = _spec(
    "paywatch_authorizations_total",
    "counter",
    "Authorization decisions by source, channel, outcome and reason.",
    "source",
    "channel",
    "outcome",
    "reason",
)
AUTHORIZATION_DURATION = _spec(
    "paywatch_authorization_duration_seconds",
    "histogram",
    "Authorization latency: receipt to decision (log) or request to answer (probe).",
    "source",
    "channel",
    buckets=LATENCY_BUCKETS,
)
PROBE_RUNS = _spec(
    "paywatch_probe_runs_total", "counter", "Synthetic journey runs by outcome.", "journey", "region", "outcome"
)
PROBE_DURATION = _spec(
    "paywatch_probe_duration_seconds",
    "histogram",
    "Duration of a whole synthetic journey run.",
    "journey",
    "region",
    buckets=LATENCY_BUCKETS,
)
PROBE_STEP_DURATION = _spec(
    "paywatch_probe_step_duration_seconds",
    "histogram",
    "Duration of one step of a synthetic journey.",
    "journey",
    "step",
    "region",
    buckets=LATENCY_BUCKETS,
)
PROBE_FAILURES = _spec(
    "paywatch_probe_failures_total",
    "counter",
    "Failed steps of synthetic journeys by reason.",
    "journey",
    "step",
    "region",
    "reason",
)
PROBE_LAST_SUCCESS = _spec(
    "paywatch_probe_last_success_timestamp_seconds",
    "gauge",
    "Unix time the last successful run of the journey ended.",
    "journey",
    "region",
)
PROBE_OPEN_HOLDS = _spec(
    "paywatch_probe_open_holds",
    "gauge",
    "Synthetic authorizations approved and not yet reversed.",
    "journey",
    "region",
)

CONTRACT_FAMILIES: tuple[FamilySpec, ...] = (
    AUTHORIZATIONS,
    AUTHORIZATION_DURATION,
    PROBE_RUNS,
    PROBE_DURATION,
    PROBE_STEP_DURATION,
    PROBE_FAILURES,
    PROBE_LAST_SUCCESS,
    PROBE_OPEN_HOLDS,
)
"""The families of DESIGN.md's metric contract, which alerts, dashboards and reports rely on."""

PROBE_LAST_RUN = _spec(
    "paywatch_probe_last_run_timestamp_seconds",
    "gauge",
    "Unix time the last run of the journey ended, whatever its outcome.",
    "journey",
    "region",
)
PROBE_HTTP_PHASE = _spec(
    "paywatch_probe_http_phase_duration_seconds",
    "histogram",
    "Transport phases of a probe step: dns, connect, tls, first_byte (HTTP); connect, response (ISO 8583).",
    "journey",
    "step",
    "region",
    "phase",
    buckets=PHASE_BUCKETS,
)
BUILD_INFO = _spec(
    "paywatch_build_info", "gauge", "Always 1; labels carry the running version.", "version", "component"
)
SINK_ERRORS = _spec(
    "paywatch_sink_errors_total", "counter", "Results a sink could not record (logged, then dropped).", "sink"
)

HEALTH_FAMILIES: tuple[FamilySpec, ...] = (PROBE_LAST_RUN, PROBE_HTTP_PHASE, BUILD_INFO, SINK_ERRORS)

AUTHLOG_LINES = _spec(
    "paywatch_authlog_lines_total",
    "counter",
    "Authorization log lines read, by status: ok, malformed (skipped), ignored (other events).",
    "status",
)
AUTHLOG_NEWEST = _spec(
    "paywatch_authlog_newest_event_timestamp_seconds", "gauge", "Timestamp of the newest event read from the log."
)
AUTHLOG_LAG = _spec(
    "paywatch_authlog_lag_seconds", "gauge", "Scrape time minus the newest event's timestamp: how far behind we are."
)
AUTHLOG_ROTATIONS = _spec("paywatch_authlog_rotations_total", "counter", "Log files seen rotated or truncated.", "kind")
AUTHLOG_CHECKPOINT = _spec(
    "paywatch_authlog_checkpoint_timestamp_seconds", "gauge", "Unix time the counts were last committed."
)

AUTHLOG_FAMILIES: tuple[FamilySpec, ...] = (
    AUTHORIZATIONS,
    AUTHORIZATION_DURATION,
    AUTHLOG_LINES,
    AUTHLOG_NEWEST,
    AUTHLOG_LAG,
    AUTHLOG_ROTATIONS,
    AUTHLOG_CHECKPOINT,
    BUILD_INFO,
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def bounded(value: object, allowed: Container[str]) -> str:
    """``value`` if it is in the closed set ``allowed``, else ``other``."""
    text = value if isinstance(value, str) else str(value)
    return text if text in allowed else OTHER


class LabelGuard:
    """Maps label values onto closed sets so no input can grow the series count without bound.

    Journeys and regions come from the configuration. Step names are not known up front (a user
    journey brings its own), so the first ``max_steps`` slug-shaped names are admitted, then ``other``.
    """

    def __init__(self, journeys: Iterable[str], regions: Iterable[str], *, max_steps: int = 32) -> None:
        self.journeys = frozenset(journeys)
        self.regions = frozenset(regions)
        self.max_steps = max_steps
        self._steps: set[str] = {"journey"}

    def journey(self, value: object) -> str:
        return bounded(value, self.journeys)

    def region(self, value: object) -> str:
        return bounded(value, self.regions)

    def step(self, value: object) -> str:
        text = value if isinstance(value, str) else str(value)
        if text in self._steps:
            return text
        if len(self._steps) < self.max_steps and _SLUG.fullmatch(text):  # match() lets "x\n" through
            self._steps.add(text)
            return text
        return OTHER

    @staticmethod
    def reason(value: object) -> str:
        return bounded(value, REASONS)

    @staticmethod
    def channel(value: object) -> str:
        return bounded(value, CHANNELS)

    @staticmethod
    def auth_outcome(value: object) -> str:
        return bounded(value, AUTH_OUTCOMES)

    @staticmethod
    def phase(value: object) -> str:
        return bounded(value, PHASES)


def _counter(spec: FamilySpec, registry: CollectorRegistry) -> Counter:
    return Counter(spec.base_name, spec.documentation, spec.labels, registry=registry)


def _gauge(spec: FamilySpec, registry: CollectorRegistry) -> Gauge:
    return Gauge(spec.name, spec.documentation, spec.labels, registry=registry)


def _histogram(spec: FamilySpec, registry: CollectorRegistry) -> Histogram:
    assert spec.buckets is not None
    return Histogram(spec.name, spec.documentation, spec.labels, registry=registry, buckets=spec.buckets)


class ProbeFamilies:
    """The probe process's collectors, all on ``registry``: the contract plus health families."""

    def __init__(self, registry: CollectorRegistry, component: str = "probe") -> None:
        self.authorizations = _counter(AUTHORIZATIONS, registry)
        self.authorization_duration = _histogram(AUTHORIZATION_DURATION, registry)
        self.runs = _counter(PROBE_RUNS, registry)
        self.duration = _histogram(PROBE_DURATION, registry)
        self.step_duration = _histogram(PROBE_STEP_DURATION, registry)
        self.failures = _counter(PROBE_FAILURES, registry)
        self.last_success = _gauge(PROBE_LAST_SUCCESS, registry)
        self.open_holds = _gauge(PROBE_OPEN_HOLDS, registry)
        self.last_run = _gauge(PROBE_LAST_RUN, registry)
        self.phase_duration = _histogram(PROBE_HTTP_PHASE, registry)
        self.build_info = _gauge(BUILD_INFO, registry)
        self.sink_errors = _counter(SINK_ERRORS, registry)
        self.build_info.labels(paywatch.__version__, component).set(1)
