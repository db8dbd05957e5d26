"""The fault-injection admin API (DESIGN.md): validation, listing, deletion, filters and expiry."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sandbox import Effect, RunningSandbox, Target
from sandbox.faults import parse_fault
from tests.sandbox.helpers import Terminal, authorization_message, issue_active_card, purchase

ALL_PAIRS = [pytest.param(t.value, e.value, id=f"{t.value}-{e.value}") for t in Target for e in Effect]


async def _post_fault(http: aiohttp.ClientSession, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with http.post("/admin/faults", json=body) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(("target", "effect"), ALL_PAIRS)
async def test_every_target_and_effect_is_accepted(http: aiohttp.ClientSession, target: str, effect: str) -> None:
    status, body = await _post_fault(http, {"target": target, "effect": effect, "latency_ms": 5, "response_code": "91"})
    assert status == 201
    assert body["id"] and body["target"] == target and body["effect"] == effect and body["probability"] == 1.0
    async with http.get("/admin/faults") as resp:
        listed = (await resp.json())["faults"]
    assert [f["id"] for f in listed] == [body["id"]]


async def test_full_design_example_is_accepted(http: aiohttp.ClientSession) -> None:
    example = {
        "target": "issuer",
        "effect": "decline",
        "probability": 0.5,
        "channel": "pos",
        "region": "north",
        "latency_ms": 10,
        "response_code": "91",
        "duration_s": 30,
    }
    status, body = await _post_fault(http, example)
    assert status == 201
    assert {k: body[k] for k in example} == example
    assert 0 < body["expires_in_s"] <= 30


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param({"target": "issuer", "effect": "error", "colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"target": "printer", "effect": "error"}, "target", id="unknown-target"),
        pytest.param({"target": "issuer", "effect": "explode"}, "effect", id="unknown-effect"),
        pytest.param({"target": "issuer", "effect": "error", "channel": "atm"}, "channel", id="unknown-channel"),
        pytest.param({"target": "issuer", "effect": "error", "region": "mars"}, "region", id="unknown-region"),
        pytest.param({"target": "issuer", "effect": "error", "probability": 1.5}, "probability", id="p-over-1"),
        pytest.param({"target": "issuer", "effect": "error", "duration_s": -1}, "duration_s", id="negative-duration"),
        pytest.param({"target": "issuer", "effect": "decline", "response_code": "x"}, "response_code", id="bad-code"),
        pytest.param({"effect": "error"}, "target", id="missing-target"),
        pytest.param([1, 2], "body", id="not-an-object"),
    ],
)
async def test_invalid_fault_is_400_naming_the_problem(http: aiohttp.ClientSession, body: Any, named: str) -> None:
    async with http.post("/admin/faults", json=body) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["error"] == "invalid_fault"
    assert named in answer["detail"]
    async with http.get("/admin/faults") as resp:
        assert (await resp.json())["faults"] == []


async def test_delete_one_and_all(http: aiohttp.ClientSession) -> None:
    ids = [(await _post_fault(http, {"target": "risk", "effect": "error"}))[1]["id"] for _ in range(3)]
    async with http.delete(f"/admin/faults/{ids[0]}") as resp:
        assert await resp.json() == {"id": ids[0], "deleted": True}
    async with http.delete(f"/admin/faults/{ids[0]}") as resp:
        assert resp.status == 404
    async with http.get("/admin/faults") as resp:
        assert [f["id"] for f in (await resp.json())["faults"]] == ids[1:]
    async with http.delete("/admin/faults") as resp:
        assert await resp.json() == {"deleted": 2}
    async with http.get("/admin/faults") as resp:
        assert (await resp.json())["faults"] == []


async def _authorize_code(http: aiohttp.ClientSession, card: dict[str, Any], region: str = "north") -> str:
    async with http.post("/v1/authorizations", json=purchase(card), headers={"X-Paywatch-Region": region}) as resp:
        if resp.status != 200:
            return f"http-{resp.status}"
        return str((await resp.json())["response_code"])


async def test_probability_zero_never_fires(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    await _post_fault(http, {"target": "issuer", "effect": "error", "probability": 0})
    assert {await _authorize_code(http, card) for _ in range(30)} == {"00"}


async def test_probability_half_fires_sometimes(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    await _post_fault(http, {"target": "issuer", "effect": "error", "probability": 0.5})
    # 200 draws at p=0.5: both outcomes appear except with probability 2**-199
    assert {await _authorize_code(http, card) for _ in range(200)} == {"00", "96"}


async def test_region_filter(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    await _post_fault(http, {"target": "card_api", "effect": "error", "region": "south"})
    assert await _authorize_code(http, card, "north") == "00"
    assert await _authorize_code(http, card, "south") == "http-503"


async def test_channel_filter(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:

    card = await issue_active_card(http)
    await _post_fault(http, {"target": "issuer", "effect": "decline", "response_code": "91", "channel": "pos"})
    assert await _authorize_code(http, card) == "00"
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    terminal = Terminal(reader, writer)
    try:
        answer = await terminal.send(authorization_message(sandbox.config, "000001"))
    finally:
        await terminal.close()
    assert answer is not None and answer["39"] == "91"


async def test_duration_expiry(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    await _post_fault(http, {"target": "issuer", "effect": "error", "duration_s": 0.3})
    assert await _authorize_code(http, card) == "96"
    await asyncio.sleep(0.4)
    assert await _authorize_code(http, card) == "00"
    async with http.get("/admin/faults") as resp:
        assert (await resp.json())["faults"] == []


async def test_ledger_summary(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    await _authorize_code(http, card)
    async with http.get("/admin/ledger") as resp:
        summary = await resp.json()
    assert summary["open_holds"] == 1
    assert summary["open_holds_by_source"] == {"synthetic": 1, "production": 0}
    assert summary["credit_lines"] == len(sandbox.ledger.credit_lines)
    assert summary["cards"] == len(sandbox.ledger.cards)


async def test_defaults_decline_05_latency_one_second_no_expiry(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    status, body = await _post_fault(http, {"target": "issuer", "effect": "decline"})
    assert status == 201
    assert "expires_in_s" not in body and "response_code" not in body
    assert await _authorize_code(http, card) == "05"
    assert parse_fault({"target": "risk", "effect": "latency"}, ["north"]).latency_s == 1.0
