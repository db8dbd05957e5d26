"""What each injected fault does (PROTOCOL.md's tables), online and at the POS, and what it leaves
in the ledger: lost answers come after the decision, so an approval may hold funds."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from paywatch.iso8583 import (
    original_data_elements,
    transmission_datetime,
)
from sandbox import RunningSandbox
from tests.sandbox.fault_helpers import LATENCY_MS, add_fault, online_observation, pos_observation
from tests.sandbox.helpers import authorization_message, issue_active_card, purchase

# (effect, observed at a front online, observed at the POS front, observed at an inner component, holds after)
EFFECTS = [
    ("latency", "00", "00", "00", 1),
    ("decline", "05", "05", "05", 0),
    ("error", "http-503", "96", "96", 0),
    ("timeout", "timeout", "timeout", "timeout", 1),
    ("reset", "reset", "reset", "reset", 1),
    ("malformed", "malformed", "malformed", "malformed", 1),
]

CASES = []
for effect, online_front, pos_front, inner, holds in EFFECTS:
    CASES.append(pytest.param("online", "card_api", effect, online_front, holds, id=f"online-card_api-{effect}"))
    CASES.append(pytest.param("pos", "pos_host", effect, pos_front, holds, id=f"pos-pos_host-{effect}"))
    for target in ("risk", "issuer", "credit_line"):
        for channel in ("online", "pos"):
            CASES.append(pytest.param(channel, target, effect, inner, holds, id=f"{channel}-{target}-{effect}"))


@pytest.mark.parametrize(("channel", "target", "effect", "observed", "holds"), CASES)
async def test_authorization_under_fault(
    http: aiohttp.ClientSession,
    sandbox: RunningSandbox,
    channel: str,
    target: str,
    effect: str,
    observed: str,
    holds: int,
) -> None:
    card = await issue_active_card(http)
    await add_fault(http, target=target, effect=effect)
    started = time.perf_counter()
    if channel == "online":
        result = await online_observation(http, "/v1/authorizations", purchase(card))
    else:
        result = await pos_observation(sandbox, authorization_message(sandbox.config, "000001"))
    elapsed = time.perf_counter() - started
    assert result == observed
    assert sandbox.ledger.summary()["open_holds"] == holds
    if effect == "latency":
        # a lower bound only: the injected delay cannot be skipped, however fast the machine
        assert elapsed >= 0.9 * LATENCY_MS / 1000


@pytest.mark.parametrize(
    ("target", "channel"),
    [
        pytest.param("card_api", "pos", id="card_api-leaves-pos-alone"),
        pytest.param("pos_host", "online", id="pos_host-leaves-online-alone"),
    ],
)
async def test_front_faults_stay_on_their_front(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, target: str, channel: str
) -> None:
    card = await issue_active_card(http)
    await add_fault(http, target=target, effect="error")
    if channel == "online":
        assert await online_observation(http, "/v1/authorizations", purchase(card)) == "00"
    else:
        assert await pos_observation(sandbox, authorization_message(sandbox.config, "000001")) == "00"


@pytest.mark.parametrize(
    ("target", "effect", "observed", "issued"),
    [
        pytest.param("credit_line", "decline", "http-422", 0, id="credit_line-decline-422"),
        pytest.param("credit_line", "error", "http-502", 0, id="credit_line-error-502"),
        pytest.param("credit_line", "timeout", "timeout", 1, id="credit_line-timeout-card-still-issued"),
        pytest.param("card_api", "decline", "http-422", 0, id="card_api-decline-422"),
        pytest.param("card_api", "error", "http-503", 0, id="card_api-error-503"),
        pytest.param("issuer", "error", "inactive", 1, id="issuer-not-involved"),
    ],
)
async def test_issuance_under_fault(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, target: str, effect: str, observed: str, issued: int
) -> None:
    before = len(sandbox.ledger.cards)
    await add_fault(http, target=target, effect=effect)
    assert await online_observation(http, "/v1/cards", {"credit_line_id": "CL-SYN-NORTH-ONLINE"}) == observed
    assert len(sandbox.ledger.cards) == before + issued


@pytest.mark.parametrize(
    ("effect", "observed"),
    [
        pytest.param("decline", "http-422", id="decline-422"),
        pytest.param("error", "http-502", id="error-502"),
        pytest.param("malformed", "malformed", id="malformed"),
    ],
)
async def test_funding_check_under_credit_line_fault(http: aiohttp.ClientSession, effect: str, observed: str) -> None:
    card = await issue_active_card(http)
    await add_fault(http, target="credit_line", effect=effect)
    assert await online_observation(http, f"/v1/cards/{card['card_id']}/funding", {}, method="GET") == observed


async def test_online_reversal_fails_under_credit_line_error_then_recovers(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card)) as resp:
        authorization_id = (await resp.json())["authorization_id"]
    fault_id = await add_fault(http, target="credit_line", effect="error")
    path = f"/v1/authorizations/{authorization_id}/reversal"
    assert await online_observation(http, path, {}) == "http-502"
    assert sandbox.ledger.summary()["open_holds"] == 1
    async with http.delete(f"/admin/faults/{fault_id}"):
        pass
    assert await online_observation(http, path, {}) == "reversed"
    assert sandbox.ledger.summary()["open_holds"] == 0


async def test_pos_reversal_fails_under_credit_line_error_then_recovers(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    original = authorization_message(sandbox.config, "000010")
    assert await pos_observation(sandbox, original) == "00"
    reversal = {k: original[k] for k in ("2", "3", "4", "41", "42", "49")}
    reversal.update({"t": "0400", "7": transmission_datetime(), "11": "000011"})
    reversal["90"] = original_data_elements("0100", original["11"], original["7"])
    await add_fault(http, target="credit_line", effect="error")
    assert await pos_observation(sandbox, reversal) == "96"
    assert sandbox.ledger.summary()["open_holds"] == 1
    async with http.delete("/admin/faults"):
        pass
    assert await pos_observation(sandbox, reversal) == "00"
    assert sandbox.ledger.summary()["open_holds"] == 0


@pytest.mark.parametrize(
    ("effect", "observed"),
    [
        pytest.param("error", "96", id="error-96"),
        pytest.param("timeout", "timeout", id="timeout"),
        pytest.param("decline", "05", id="decline"),
    ],
)
async def test_echo_under_pos_host_fault(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, effect: str, observed: str
) -> None:
    await add_fault(http, target="pos_host", effect=effect)
    echo = {"t": "0800", "7": transmission_datetime(), "11": "000001", "41": "TNO00001", "70": "301"}
    assert await pos_observation(sandbox, echo) == observed


async def test_timeout_holds_the_http_request_open_without_blocking_others(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    card = await issue_active_card(http)
    await add_fault(http, target="card_api", effect="timeout", region="south")
    held = asyncio.create_task(
        http.post("/v1/authorizations", json=purchase(card), headers={"X-Paywatch-Region": "south"})
    )
    # while that request hangs, the rest of the API answers
    for _ in range(5):
        assert await online_observation(http, "/v1/authorizations", purchase(card)) == "00"
    assert not held.done()
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held
