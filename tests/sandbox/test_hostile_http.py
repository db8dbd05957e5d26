"""Hostile bodies, ids and headers against the card and admin APIs: a clear 4xx, no card data echoed, nothing lost."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from paywatch.cards import find_pans
from sandbox import RunningSandbox
from tests.sandbox.helpers import issue_active_card, purchase

PAN = "4111111111111111"
DEEP = b'{"a": ' * 5000 + b"1" + b"}" * 5000
FAULT = '{"target": "issuer", "effect": "error", '


BAD_BODIES = [
    pytest.param("POST", "/admin/faults", DEEP, 400, "invalid_json", id="admin-deeply-nested-json"),
    pytest.param("POST", "/v1/cards", DEEP, 400, "invalid_json", id="cards-deeply-nested-json"),
    pytest.param("POST", "/admin/faults", b"\xff\xfe", 400, "invalid_json", id="admin-invalid-utf8"),
    pytest.param("POST", "/v1/authorizations", b"\xff\xfe", 400, "invalid_json", id="auth-invalid-utf8"),
    pytest.param("POST", "/admin/faults", b"x" * 100_000, 413, "request_entity_too_large", id="admin-huge-body"),
    pytest.param("POST", "/v1/cards", b"x" * 100_000, 413, "request_entity_too_large", id="cards-huge-body"),
    pytest.param("POST", "/admin/faults", b"", 400, "invalid_fault", id="admin-empty-body-names-fields"),
    pytest.param("POST", "/admin/faults", b"null", 400, "invalid_fault", id="admin-null-body"),
    pytest.param("POST", "/admin/faults", (FAULT + '"latency_ms": true}').encode(), 400, "invalid_fault", id="bool-ms"),
    pytest.param("POST", "/admin/faults", (FAULT + '"probability": "1"}').encode(), 400, "invalid_fault", id="text-p"),
    pytest.param("POST", "/admin/faults", (FAULT + '"duration_s": "9"}').encode(), 400, "invalid_fault", id="text-s"),
    pytest.param("POST", "/v1/cards", b'{"credit_line_id": 5}', 400, "invalid_request", id="number-as-id"),
    pytest.param("PUT", "/v1/cards", b"", 405, "method_not_allowed", id="wrong-method"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "slug"), BAD_BODIES)
async def test_bad_bodies_get_a_json_4xx(
    http: aiohttp.ClientSession, method: str, path: str, body: bytes, status: int, slug: str
) -> None:
    async with http.request(method, path, data=body, headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == status
        assert (await resp.json())["error"] == slug
    async with http.get("/admin/faults") as resp:
        assert (await resp.json())["faults"] == []  # nothing half-applied


async def test_deeply_nested_body_with_an_idempotency_key_is_a_400(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/cards", data=DEEP, headers={"Idempotency-Key": "deep-1"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "invalid_json"


@pytest.mark.parametrize(
    "amount",
    [pytest.param(True, id="bool"), pytest.param("100", id="text"), pytest.param(1.5, id="fraction")],
)
async def test_amount_of_the_wrong_type_is_refused_not_coerced(http: aiohttp.ClientSession, amount: object) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card, amount=1) | {"amount": amount}) as resp:
        assert resp.status == 400
        assert (await resp.json())["detail"] == "invalid or missing: amount"


async def test_other_scripts_digits_are_not_a_pan(http: aiohttp.ClientSession) -> None:
    card = await issue_active_card(http)
    arabic = "".join(chr(0x0660 + int(d)) for d in card["pan"])
    async with http.post("/v1/authorizations", json=purchase(card, pan=arabic)) as resp:
        assert resp.status == 400
        assert (await resp.json())["detail"] == "invalid or missing: pan"


ECHOING = [
    pytest.param("POST", "/admin/faults", FAULT + f'"{PAN}": 1}}', id="unknown-field-named-like-a-pan"),
    pytest.param("POST", "/admin/faults", FAULT + f'"region": "a{PAN}"}}', id="region-holding-a-pan"),
    pytest.param("DELETE", f"/admin/faults/{PAN}", "", id="fault-id"),
    pytest.param("POST", "/v1/cards", f'{{"credit_line_id": "{PAN}"}}', id="credit-line-id"),
    pytest.param("GET", f"/v1/credit-lines/{PAN}", "", id="credit-line-path"),
    pytest.param("POST", f"/v1/authorizations/{PAN}/reversal", "{}", id="authorization-path"),
]


@pytest.mark.parametrize(("method", "path", "body"), ECHOING)
async def test_error_text_never_echoes_a_card_number(
    http: aiohttp.ClientSession, method: str, path: str, body: str
) -> None:
    async with http.request(method, path, data=body, headers={"Content-Type": "application/json"}) as resp:
        assert 400 <= resp.status < 500
        text = await resp.text()
    assert json.loads(text)["error"]
    assert find_pans(text) == []


async def test_a_card_number_as_merchant_id_stays_out_of_the_event_log_and_lookup(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    card = await issue_active_card(http)
    async with http.post("/v1/authorizations", json=purchase(card, merchant_id=PAN)) as resp:
        assert resp.status == 200
        authorization_id = (await resp.json())["authorization_id"]
    async with http.get(f"/v1/authorizations/{authorization_id}") as resp:
        looked_up = await resp.text()
    logged = sandbox.event_log.read_text()
    assert authorization_id in logged
    assert find_pans(logged) == [] and find_pans(looked_up) == []


@pytest.mark.parametrize(
    ("length", "status"), [pytest.param(255, 201, id="255-kept"), pytest.param(256, 400, id="256")]
)
async def test_idempotency_key_length_is_bounded(http: aiohttp.ClientSession, length: int, status: int) -> None:
    body = {"credit_line_id": "CL-SYN-NORTH-ONLINE"}
    async with http.post("/v1/cards", json=body, headers={"Idempotency-Key": "k" * length}) as resp:
        assert resp.status == status
        if status == 400:
            assert (await resp.json())["error"] == "invalid_idempotency_key"


async def test_hostile_requests_log_no_server_error_and_no_card_number(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for case in [*BAD_BODIES, *ECHOING]:
        method, path, body = case.values[:3]
        assert isinstance(method, str) and isinstance(path, str)
        async with http.request(method, path, data=body, headers={"Content-Type": "application/json"}) as resp:
            assert resp.status < 500
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert find_pans(caplog.text) == []


UNPARSEABLE = [
    pytest.param(PAN.encode() + b" / HTTP/1.1\r\nHost: x\r\n\r\n", id="pan-as-method"),
    pytest.param(b"GET /" + PAN.encode() + b"\x00 HTTP/1.1\r\nHost: x\r\n\r\n", id="pan-in-bad-path"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header " + PAN.encode() + b"\r\n\r\n", id="pan-in-bad-header"),
    pytest.param(b"GET / HTTP/" + PAN.encode() + b"\r\n\r\n", id="pan-as-version"),
]


async def raw_exchange(host: str, port: int, request: bytes) -> bytes:
    """One raw request on its own connection; the whole answer (the server closes after a parse error)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


@pytest.mark.parametrize("request_bytes", UNPARSEABLE)
async def test_unparseable_request_is_a_json_400_that_repeats_no_card_number(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    host, port = sandbox.http_url.removeprefix("http://").rsplit(":", 1)
    answer = await raw_exchange(host, int(port), request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400") or head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"] == "bad_request"
    assert find_pans(answer.decode("latin-1")) == [] and find_pans(caplog.text) == []
    assert "411111******1111" in caplog.text  # logged, masked
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
