"""Builders for probe results used across the exporter tests."""

from __future__ import annotations

import time

from paywatch.taxonomy import Outcome, Reason
from probes.results import AuthorizationRecord, JourneyOutcome, JourneyResult, StepResult
from sandbox.eventlog import authorization_event, encode_event

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def step(
    name: str = "authorize",
    *,
    ok: bool = True,
    reason: Reason = Reason.APPROVED,
    duration_s: float = 0.2,
    channel: str | None = "online",
    phases: dict[str, float] | None = None,
) -> StepResult:
    auth = None
    if channel is not None:
        outcome = Outcome.APPROVED if ok else Outcome.FAILED
        auth = AuthorizationRecord(channel, outcome, reason, duration_s, "00" if ok else "91")
    return StepResult(
        step=name,
        ok=ok,
        reason=reason,
        duration_s=duration_s,
        response_code="00" if ok else "91",
        phases=phases if phases is not None else {"dns": 0.001, "connect": 0.002, "first_byte": 0.05},
        authorization=auth,
    )


def journey(
    name: str = "virtual_card_online",
    region: str = "north",
    *,
    steps: tuple[StepResult, ...] | None = None,
    trace_id: str | None = TRACE_ID,
    outcome: JourneyOutcome | None = None,
    reason: Reason | None = None,
    started_at: float | None = None,
) -> JourneyResult:
    steps = steps if steps is not None else (step("issue_card", channel=None), step("authorize"))
    failed = next((s for s in steps if not s.ok), None)
    if outcome is None:
        outcome = JourneyOutcome.FAILURE if failed else JourneyOutcome.SUCCESS
    if reason is None:
        reason = failed.reason if failed else Reason.APPROVED
    return JourneyResult(
        journey=name,
        region=region,
        outcome=outcome,
        reason=reason,
        started_at=started_at if started_at is not None else time.time(),
        duration_s=sum(s.duration_s for s in steps),
        steps=steps,
        trace_id=trace_id,
    )


def log_line(
    n: int = 0,
    *,
    channel: str = "pos",
    source: str = "production",
    outcome: str = "approved",
    reason: str = "approved",
    code: str = "00",
    latency_ms: float = 12.345,
    ts: str = "2026-12-01T21:00:00.123456Z",
) -> str:
    """One line in the sandbox's authorization event log format (PROTOCOL.md)."""
    return encode_event(
        authorization_event(
            ts=ts,
            authorization_id=f"A{n:010d}",
            channel=channel,
            source=source,
            outcome=outcome,
            reason=reason,
            response_code=code,
            latency_ms=latency_ms,
            amount=2500,
            currency="156",
            merchant_id="MNO00STORE00001",
            terminal_id="TNO00001" if channel == "pos" else None,
            region="north",
            pan_masked="622999******1234",
        )
    )
