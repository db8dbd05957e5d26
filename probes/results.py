"""Probe results and the sink they go to: the contract between probes and exporters.

A step returns a ``StepResult``; the scheduler assembles a ``JourneyResult`` and hands it to
every ``ResultSink``. Values carry no card data: reasons, codes and timings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from paywatch.taxonomy import Outcome, Reason

__all__ = [
    "AuthorizationRecord",
    "JourneyOutcome",
    "JourneyResult",
    "ResultSink",
    "StepResult",
]


class JourneyOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class AuthorizationRecord:
    """An authorization the probe sent, as the metric ``paywatch_authorizations_total`` counts it."""

    channel: str  # "online" or "pos"
    outcome: Outcome
    reason: Reason
    duration_s: float
    response_code: str | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    step: str
    ok: bool
    reason: Reason
    duration_s: float = 0.0
    response_code: str | None = None
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase: ``dns``, ``connect``, ``tls``, ``first_byte`` (HTTP); ``connect``,
    ``response`` (ISO 8583)."""
    detail: str = ""
    """Human-readable, card-data-free explanation of a failure."""
    authorization: AuthorizationRecord | None = None
    trace_id: str | None = None

    @property
    def outcome(self) -> JourneyOutcome:
        return JourneyOutcome.SUCCESS if self.ok else JourneyOutcome.FAILURE


@dataclass(frozen=True, slots=True)
class JourneyResult:
    journey: str
    region: str
    outcome: JourneyOutcome
    reason: Reason
    started_at: float
    """Unix time the run started."""
    duration_s: float
    steps: tuple[StepResult, ...]
    trace_id: str | None = None

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    def as_dict(self) -> dict[str, object]:
        """The ``paywatch probe --once --json`` shape."""
        return {
            "journey": self.journey,
            "region": self.region,
            "outcome": self.outcome.value,
            "reason": self.reason.value,
            "duration_ms": round(self.duration_s * 1000, 3),
            "trace_id": self.trace_id,
            "steps": [
                {
                    "step": s.step,
                    "outcome": s.outcome.value,
                    "reason": s.reason.value,
                    "duration_ms": round(s.duration_s * 1000, 3),
                    "response_code": s.response_code,
                    "phases_ms": {k: round(v * 1000, 3) for k, v in s.phases.items()},
                    "detail": s.detail,
                }
                for s in self.steps
            ],
        }


class ResultSink(Protocol):
    """Where results go. Implementations must not raise: telemetry never crashes its host."""

    def record_journey(self, result: JourneyResult) -> None: ...

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        """Synthetic authorizations of ``journey`` in ``region`` not yet reversed."""
        ...
