"""Contract tests of the HTTP card API (PROTOCOL.md) against a real sandbox on loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sandbox import CardStatus, RunningSandbox
from sandbox.http_api import build_app
from sandbox.openapi import openapi_document
from tests.sandbox.fault_helpers import add_fault, online_observation
from tests.sandbox.helpers import issue_active_card, purchase


async def test_issuance_returns_card_data_once_and_inactive(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/cards", json={"credit_line_id": "CL-SYN-NORTH-ONLINE"}) as resp:
        assert resp.status == 201
        card = await resp.json()
    assert card["status"] == "inactive"
    assert card["pan"].startswith("622999") and len(card["pan"]) == 16
    assert card["pan_masked"] == f"{card['pan'][:6]}******{card['pan'][-4:]}"
    assert len(card["cvv"]) == 3 and len(card["expiry"]) == 4
    async with http.get(f"/v1/cards/{card['card_id']}/funding") as resp:
        funding = await resp.json()
    assert "pan" not in funding and "cvv" not in funding


async def test_issuance_on_unknown_credit_line_is_404(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/cards", json={"credit_line_id": "CL-NOPE"}) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "credit_line_not_found"


async def test_activation_then_funding_check(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    async with http.get(f"/v1/cards/{card['card_id']}/funding") as resp:
        funding = await resp.json()
    assert funding == {
        "card_id": card["card_id"],
        "credit_line_id": "CL-SYN-NORTH-ONLINE",
        "bound": True,
        "available": 1_000_000,
        "can_fund": True,
    }


async def test_closed_card_cannot_fund_or_authorize(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    async with http.delete(f"/v1/cards/{card['card_id']}") as resp:
        assert (await resp.json())["status"] == "closed"
    async with http.get(f"/v1/cards/{card['card_id']}/funding") as resp:
        assert (await resp.json())["can_fund"] is False
    async with http.post("/v1/authorizations", json=purchase(card)) as resp:
        assert (await resp.json())["response_code"] == "14"


async def test_approval_holds_and_reversal_restores_credit_line(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card, 2500)) as resp:
        answer = await resp.json()
    assert answer["approved"] is True and answer["response_code"] == "00" and answer["reason"] == "approved"
    assert answer["available"] == 1_000_000 - 2500
    async with http.get("/v1/credit-lines/CL-SYN-NORTH-ONLINE") as resp:
        line = await resp.json()
    assert (line["held"], line["open_holds"]) == (2500, 1)
    for _ in range(2):  # the second reversal answers the same: idempotent
        async with http.post(f"/v1/authorizations/{answer['authorization_id']}/reversal", json={}) as resp:
            assert resp.status == 200
            assert await resp.json() == {
                "authorization_id": answer["authorization_id"],
                "status": "reversed",
                "available": 1_000_000,
            }
    async with http.get("/v1/credit-lines/CL-SYN-NORTH-ONLINE") as resp:
        line = await resp.json()
    assert (line["available"], line["held"], line["open_holds"]) == (1_000_000, 0, 0)


async def test_capture_closes_the_hold(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card, 700)) as resp:
        authorization_id = (await resp.json())["authorization_id"]
    async with http.post(f"/v1/authorizations/{authorization_id}/capture", json={}) as resp:
        assert (await resp.json())["status"] == "captured"
    async with http.get(f"/v1/authorizations/{authorization_id}") as resp:
        assert (await resp.json())["status"] == "captured"
    async with http.post(f"/v1/authorizations/{authorization_id}/reversal", json={}) as resp:
        assert resp.status == 409
    assert sandbox.ledger.summary()["open_holds"] == 0


async def test_unknown_authorization_reversal_is_404(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/authorizations/A9999999999/reversal", json={}) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "authorization_not_found"


@pytest.mark.parametrize(
    ("change", "code", "reason"),
    [
        pytest.param({"amount": 2_000_000}, "59", "suspected_fraud", id="risk-over-limit"),
        pytest.param({"amount": 400_000, "repeat": 3}, "51", "insufficient_funds", id="insufficient-funds"),
        pytest.param({"cvv": "wrong"}, "14", "invalid_card", id="wrong-cvv"),
        pytest.param({"expiry": "0101"}, "14", "invalid_card", id="wrong-expiry"),
        pytest.param({"currency": "840"}, "12", "invalid_transaction", id="foreign-currency"),
        pytest.param({"amount": 0}, "13", "invalid_amount", id="zero-amount"),
        pytest.param({"inactive": True}, "62", "restricted_card", id="inactive-card"),
    ],
)
async def test_business_declines(http: aiohttp.ClientSession, change: dict[str, Any], code: str, reason: str) -> None:
    if change.pop("inactive", False):
        async with http.post("/v1/cards", json={"credit_line_id": "CL-SYN-NORTH-ONLINE"}) as resp:
            card = await resp.json()
    else:
        card = await issue_active_card(http)
    if change.get("cvv") == "wrong":
        change["cvv"] = f"{(int(card['cvv']) + 1) % 1000:03d}"
    repeat = change.pop("repeat", 1)
    for _ in range(repeat):
        async with http.post("/v1/authorizations", json=purchase(card, **change)) as resp:
            assert resp.status == 200
            answer = await resp.json()
    assert (answer["approved"], answer["response_code"], answer["reason"]) == (False, code, reason)


async def test_expired_card_declines_54(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = sandbox.ledger.issue_card("CL-SYN-NORTH-ONLINE", expiry="2001")
    card.status = card.status.ACTIVE
    body = {"pan": card.pan, "expiry": "2001", "cvv": card.cvv, "amount": 100, "merchant_id": "M1"}
    async with http.post("/v1/authorizations", json=body) as resp:
        assert (await resp.json())["response_code"] == "54"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Authorization": ""}, 401, id="no-key"),
        pytest.param({"Authorization": "Bearer not-a-key"}, 401, id="unknown-key"),
        pytest.param({"Authorization": "Basic sandbox-probe-key"}, 401, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer sandbox-traffic-key"}, 201, id="second-configured-key"),
    ],
)
async def test_api_key(sandbox: RunningSandbox, headers: dict[str, str], status: int) -> None:
    async with (
        aiohttp.ClientSession(base_url=sandbox.http_url) as session,
        session.post("/v1/cards", json={"credit_line_id": "CL-SYN-NORTH-ONLINE"}, headers=headers) as resp,
    ):
        assert resp.status == status
        if status == 401:
            assert (await resp.json())["error"] == "unauthorized"


async def test_idempotency_key_same_body_same_answer(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    answers = []
    for _ in range(3):
        async with http.post("/v1/authorizations", json=purchase(card), headers={"Idempotency-Key": "k-1"}) as resp:
            answers.append((resp.status, await resp.json()))
    assert answers[0] == answers[1] == answers[2]
    assert sandbox.ledger.credit_lines["CL-SYN-NORTH-ONLINE"].open_holds == 1


async def test_idempotency_key_other_body_is_409(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card), headers={"Idempotency-Key": "k-2"}) as resp:
        assert resp.status == 200
    async with http.post("/v1/authorizations", json=purchase(card, 101), headers={"Idempotency-Key": "k-2"}) as resp:
        assert resp.status == 409
        assert (await resp.json())["error"] == "idempotency_key_reused"


async def test_idempotent_issuance_issues_one_card(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    before = len(sandbox.ledger.cards)
    bodies = []
    for _ in range(2):
        async with http.post(
            "/v1/cards", json={"credit_line_id": "CL-SYN-SOUTH-ONLINE"}, headers={"Idempotency-Key": "issue-1"}
        ) as resp:
            bodies.append(await resp.json())
    assert bodies[0]["card_id"] == bodies[1]["card_id"]
    assert len(sandbox.ledger.cards) == before + 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param({"pan": "123"}, id="missing-fields"),
    ],
)
async def test_bad_authorization_body_is_400_without_echoing_it(http: aiohttp.ClientSession, body: Any) -> None:
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    async with http.post("/v1/authorizations", **kwargs) as resp:
        assert resp.status == 400
        text = await resp.text()
    assert "123" not in text


async def test_healthz_and_openapi_need_no_key(sandbox: RunningSandbox) -> None:
    async with aiohttp.ClientSession(base_url=sandbox.http_url) as session:
        async with session.get("/healthz") as resp:
            assert await resp.json() == {"status": "ok"}
        async with session.get("/openapi.json") as resp:
            document = await resp.json()
    assert document["openapi"].startswith("3.1")


async def test_openapi_lists_every_served_path(sandbox: RunningSandbox) -> None:
    async with aiohttp.ClientSession(base_url=sandbox.http_url) as session, session.get("/openapi.json") as resp:
        documented = {
            (path, method.upper())
            for path, item in (await resp.json())["paths"].items()
            for method in item
            if method != "parameters"
        }
    assert documented == {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (route.resource.canonical, route.method)
        for route in _app_routes(sandbox)
        if route.method != "HEAD" and route.resource is not None
    }
    assert served == documented


def _app_routes(sandbox: RunningSandbox) -> list[Any]:
    """The routes of an app built from the running sandbox's parts: what the server really serves."""
    app = build_app(sandbox.engine, sandbox.faults, frozenset({"key"}), asyncio.Event(), frozenset())
    return list(app.router.routes())


async def test_unknown_route_answers_json_404(http: aiohttp.ClientSession) -> None:
    async with http.get("/v1/nothing-here") as resp:
        assert resp.status == 404
        assert "error" in await resp.json()


async def test_concurrent_authorizations_never_overdraw_a_credit_line(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    sandbox.ledger.add_credit_line("CL-SYN-SMALL", 1000)
    card = await issue_active_card(http, "CL-SYN-SMALL")

    async def authorize() -> str:
        async with http.post("/v1/authorizations", json=purchase(card, 100)) as resp:
            return str((await resp.json())["response_code"])

    codes = await asyncio.gather(*(authorize() for _ in range(25)))
    assert sorted(codes) == ["00"] * 10 + ["51"] * 15
    line = sandbox.ledger.credit_lines["CL-SYN-SMALL"]
    assert (line.available, line.open_holds) == (0, 10)


async def test_frozen_card_declines_62_and_holds_nothing(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    frozen = sandbox.ledger.card(card["card_id"])
    assert frozen is not None
    frozen.status = CardStatus.FROZEN  # no API freezes a card: the issuer's back office does
    async with http.post("/v1/authorizations", json=purchase(card)) as resp:
        answer = await resp.json()
    assert (answer["response_code"], answer["reason"]) == ("62", "restricted_card")
    assert sandbox.ledger.summary()["open_holds"] == 0


@pytest.mark.parametrize("effect", ["timeout", "reset", "malformed"])
async def test_retry_after_a_lost_answer_gets_the_original_decision(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, effect: str
) -> None:
    card = await issue_active_card(http)
    headers = {"Idempotency-Key": f"lost-{effect}"}
    fault = await add_fault(http, target="card_api", effect=effect)
    lost = await online_observation(http, "/v1/authorizations", purchase(card), headers=headers)
    assert lost == effect
    async with http.delete(f"/admin/faults/{fault}") as resp:
        assert resp.status == 200
    async with http.post("/v1/authorizations", json=purchase(card), headers=headers) as resp:
        assert resp.status == 200
        retried = await resp.json()
    logged = [json.loads(line) for line in sandbox.event_log.read_text().splitlines()]
    assert [e["authorization_id"] for e in logged] == [retried["authorization_id"]]  # one decision, not two
    assert retried["approved"] is True and sandbox.ledger.summary()["open_holds"] == 1


async def test_a_5xx_answer_is_not_kept_so_the_retry_runs_again(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    card = await issue_active_card(http)
    headers = {"Idempotency-Key": "after-503"}
    fault = await add_fault(http, target="card_api", effect="error")
    async with http.post("/v1/authorizations", json=purchase(card), headers=headers) as resp:
        assert resp.status == 503
    async with http.delete(f"/admin/faults/{fault}") as resp:
        assert resp.status == 200
    async with http.post("/v1/authorizations", json=purchase(card), headers=headers) as resp:
        assert resp.status == 200 and (await resp.json())["approved"] is True
    assert sandbox.ledger.summary()["open_holds"] == 1


async def test_idempotency_keys_are_kept_per_api_key(sandbox: RunningSandbox) -> None:
    body, cards = {"credit_line_id": "CL-SYN-NORTH-ONLINE"}, []
    for api_key in ("sandbox-probe-key", "sandbox-traffic-key"):
        headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "shared"}
        async with (
            aiohttp.ClientSession(base_url=sandbox.http_url, headers=headers) as session,
            session.post("/v1/cards", json=body) as resp,
        ):
            assert resp.status == 201
            cards.append((await resp.json())["card_id"])
    assert cards[0] != cards[1]


@pytest.mark.parametrize(
    ("amount", "first", "then", "status", "answer_status"),
    [
        pytest.param(100, "capture", "capture", 200, "captured", id="capture-twice-same-answer"),
        pytest.param(100, "reversal", "capture", 409, None, id="capture-after-reversal-409"),
        pytest.param(2_000_000, None, "capture", 409, None, id="capture-of-declined-409"),
        pytest.param(2_000_000, None, "reversal", 200, "declined", id="reversal-of-declined-holds-nothing"),
    ],
)
async def test_settlement_state_machine(
    http: aiohttp.ClientSession,
    sandbox: RunningSandbox,
    amount: int,
    first: str | None,
    then: str,
    status: int,
    answer_status: str | None,
) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card, amount)) as resp:
        authorization_id = (await resp.json())["authorization_id"]
    if first is not None:
        async with http.post(f"/v1/authorizations/{authorization_id}/{first}", json={}) as resp:
            assert resp.status == 200
    async with http.post(f"/v1/authorizations/{authorization_id}/{then}", json={}) as resp:
        assert resp.status == status
        if answer_status is not None:
            assert (await resp.json())["status"] == answer_status
    assert sandbox.ledger.summary()["open_holds"] == 0
