"""The journey step interface and helpers turning client answers into ``StepResult``s.

A step is any object with a ``name`` and ``async def run(ctx) -> StepResult``; it never loops,
sleeps or times itself out: the scheduler owns intervals, timeouts and durations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from paywatch.taxonomy import REASON_OUTCOME, Reason
from probes.http_client import HttpAnswer
from probes.iso_client import IsoAnswer
from probes.results import AuthorizationRecord, StepResult

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = [
    "Step",
    "authorization_record",
    "check_failed",
    "expect_status",
    "from_answer",
    "from_http",
    "from_iso",
    "passed",
]


@runtime_checkable
class Step(Protocol):
    name: str

    async def run(self, ctx: JourneyContext) -> StepResult: ...


def passed(name: str, phases: dict[str, float] | None = None, **extra: Any) -> StepResult:
    return StepResult(step=name, ok=True, reason=Reason.APPROVED, phases=phases or {}, **extra)


def check_failed(name: str, detail: str, phases: dict[str, float] | None = None) -> StepResult:
    return StepResult(step=name, ok=False, reason=Reason.CHECK_FAILED, phases=phases or {}, detail=detail)


def from_answer(name: str, answer: HttpAnswer[Any] | IsoAnswer) -> StepResult:
    """The step result of a client answer as it came (either client: their answers share these fields)."""
    return StepResult(
        step=name,
        ok=answer.ok,
        reason=answer.reason,
        response_code=answer.response_code,
        phases=answer.phases,
        detail=answer.detail,
    )


from_http = from_answer
from_iso = from_answer


def expect_status(name: str, answer: HttpAnswer[Any], expected: str, after: str) -> StepResult:
    """Passed when the answer's body has ``status == expected``; else the failure or ``check_failed``."""
    if answer.body is None:
        return from_answer(name, answer)
    status = getattr(answer.body, "status", None)
    if status != expected:
        return check_failed(name, f"{after}: status is {status!r}, not {expected!r}", answer.phases)
    return passed(name, answer.phases)


def authorization_record(channel: str, reason: Reason, duration_s: float, code: str | None) -> AuthorizationRecord:
    return AuthorizationRecord(channel, REASON_OUTCOME[reason], reason, duration_s, code)
