"""The card API client against a tiny aiohttp app: headers sent, phases, answer classification."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, SecretStr

from paywatch.config import CardApiTarget
from paywatch.taxonomy import Reason
from probes.http_client import CardApiClient

SEEN = web.AppKey("seen", list)


class Pong(BaseModel):
    pong: int


async def _handler(request: web.Request) -> web.StreamResponse:
    request.app[SEEN].append(dict(request.headers))
    kind = request.match_info["kind"]
    if kind == "ok":
        return web.json_response({"pong": 1, "extra": "ignored"})
    if kind == "garbage":
        return web.Response(text="<html>oops</html>", content_type="text/html")
    if kind == "schema":
        return web.json_response({"ping": "1"})
    if kind == "declined":
        return web.json_response({"error": "declined", "response_code": "05"}, status=422)
    if kind == "reset":
        assert request.transport is not None
        request.transport.abort()
        return web.Response()
    return web.json_response({"error": kind}, status=int(kind))


@pytest.fixture
async def card_api() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    app = web.Application()
    app[SEEN] = []
    app.router.add_route("*", "/{kind}", _handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", app[SEEN]
    await runner.cleanup()


CASES = [
    ("ok", True, Reason.APPROVED, 200),
    ("garbage", False, Reason.INTERFACE_ERROR, 200),
    ("schema", False, Reason.INTERFACE_ERROR, 200),
    ("declined", False, Reason.DO_NOT_HONOR, 422),
    ("503", False, Reason.HTTP_5XX, 503),
    ("429", False, Reason.RATE_LIMITED, 429),
    ("404", False, Reason.HTTP_4XX, 404),
    ("reset", False, Reason.CONNECTION_RESET, None),
]


@pytest.mark.parametrize(("path", "ok", "reason", "status"), CASES, ids=[c[0] for c in CASES])
async def test_answer_is_classified(
    card_api: tuple[str, list[dict[str, str]]], path: str, ok: bool, reason: Reason, status: int | None
) -> None:
    base_url, _ = card_api
    async with CardApiClient(CardApiTarget(base_url=base_url), "north") as client:
        answer = await client.call("GET", f"/{path}", Pong)
    assert (answer.ok, answer.reason, answer.status) == (ok, reason, status)
    assert (answer.body is not None) is ok


async def test_every_request_carries_region_key_and_traceparent(card_api: tuple[str, list[dict[str, str]]]) -> None:
    base_url, seen = card_api
    tracer = TracerProvider().get_tracer("test")
    target = CardApiTarget(base_url=base_url, api_key=SecretStr("k-123"))
    async with CardApiClient(target, "south") as client:
        with tracer.start_as_current_span("journey") as span:
            answer = await client.call("POST", "/ok", Pong, json={})
    headers = seen[0]
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert headers["Authorization"] == "Bearer k-123"
    assert headers["X-Paywatch-Region"] == "south"
    assert headers["Idempotency-Key"] == answer.idempotency_key
    assert headers["traceparent"].split("-")[1] == trace_id


async def test_phases_are_recorded_on_a_fresh_connection(card_api: tuple[str, list[dict[str, str]]]) -> None:
    base_url, _ = card_api
    async with CardApiClient(CardApiTarget(base_url=base_url), "north") as client:
        answer = await client.call("GET", "/ok", Pong)
    assert {"connect", "first_byte"} <= set(answer.phases)
    assert all(v >= 0 for v in answer.phases.values())


async def test_refused_connection_is_data_not_an_exception() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with CardApiClient(CardApiTarget(base_url=f"http://127.0.0.1:{port}"), "north") as client:
        answer = await client.call("GET", "/ok", Pong)
    assert (answer.ok, answer.reason) == (False, Reason.CONNECTION_REFUSED)
