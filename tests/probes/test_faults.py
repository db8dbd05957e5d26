"""For every fault target x effect: the affected journeys fail at the right step with the right
reason, in the faulted region (and channel) only; once the fault is removed they recover and the
sandbox holds no synthetic authorization."""

from __future__ import annotations

from typing import Any

import pytest

from paywatch.config import BUILTIN_JOURNEYS, PaywatchConfig
from probes import JourneyOutcome, JourneyResult, Reverser, run_once
from tests.probes.conftest import STEP_TIMEOUT_S, Admin

FAULTED_REGION = "south"
ONLINE, POS, BINDING = BUILTIN_JOURNEYS

# What each effect looks like to the probe, by the kind of call that meets it first.
HTTP_REASON = {
    "latency": "timeout",
    "decline": "do_not_honor",
    "error": "http_5xx",
    "timeout": "timeout",
    "reset": "connection_reset",
    "malformed": "interface_error",
}
AUTH_REASON = {**HTTP_REASON, "error": "system_malfunction"}  # a 200 answer carrying 96
ISO_REASON = AUTH_REASON

# target -> {journey: (first step the target acts on, reasons by effect)}, for an unfiltered channel
AFFECTED: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "card_api": {ONLINE: ("issue_card", HTTP_REASON), BINDING: ("issue_card", HTTP_REASON)},
    "pos_host": {POS: ("echo", ISO_REASON)},
    "credit_line": {
        ONLINE: ("issue_card", HTTP_REASON),
        BINDING: ("issue_card", HTTP_REASON),
        POS: ("balance_before", ISO_REASON),
    },
    "issuer": {ONLINE: ("authorize_online", AUTH_REASON), POS: ("balance_before", ISO_REASON)},
    "risk": {ONLINE: ("authorize_online", AUTH_REASON), POS: ("authorize_pos", ISO_REASON)},
}
CHANNEL_JOURNEYS = {"online": {ONLINE, BINDING}, "pos": {POS}}
EFFECTS = list(HTTP_REASON)

CASES: list[tuple[str, str, str | None]] = [(t, e, None) for t in AFFECTED for e in EFFECTS]
# Channel filters on the components both channels share.
CASES += [
    ("credit_line", "error", "online"),
    ("credit_line", "timeout", "pos"),
    ("issuer", "reset", "pos"),
    ("issuer", "malformed", "online"),
    ("risk", "decline", "online"),
    ("risk", "latency", "pos"),
]


def _fault(target: str, effect: str, channel: str | None) -> dict[str, Any]:
    fault: dict[str, Any] = {"target": target, "effect": effect, "region": FAULTED_REGION}
    if channel:
        fault["channel"] = channel
    if effect == "latency":
        fault["latency_ms"] = int(STEP_TIMEOUT_S * 1000 * 2.5)
    if effect == "decline":
        fault["response_code"] = "05"
    return fault


def expected(target: str, effect: str, channel: str | None) -> dict[tuple[str, str], tuple[str, str]]:
    """(journey, region) -> (failed step, reason) for every journey the fault should break."""
    out = {}
    for journey, (step, reasons) in AFFECTED[target].items():
        if channel is None or journey in CHANNEL_JOURNEYS[channel]:
            out[(journey, FAULTED_REGION)] = (step, reasons[effect])
    return out


def failures(results: list[JourneyResult]) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (r.journey, r.region): (r.failed_step.step if r.failed_step else "", r.reason.value)
        for r in results
        if r.outcome is JourneyOutcome.FAILURE
    }


@pytest.mark.parametrize(
    ("target", "effect", "channel"), CASES, ids=[f"{t}-{e}" + (f"-{c}" if c else "") for t, e, c in CASES]
)
async def test_fault_breaks_the_right_step_then_recovers(
    config: PaywatchConfig, admin: Admin, target: str, effect: str, channel: str | None
) -> None:
    reverser = Reverser(config)
    await admin.inject(**_fault(target, effect, channel))
    faulted = await run_once(config, reverser=reverser, drain_timeout_s=0)
    assert failures(faulted) == expected(target, effect, channel)

    await admin.clear()
    recovered = await run_once(config, reverser=reverser)
    assert failures(recovered) == {}
    assert reverser.pending() == []
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
