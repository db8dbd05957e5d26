"""The card API client against a tiny aiohttp app: headers sent, phases, answer classification."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

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
    peer = request.transport.get_extra_info("peername") if request.transport else None
    request.app[SEEN].append({**request.headers, "X-Peer": str(peer)})
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


async def test_every_request_opens_a_fresh_connection_and_times_it(card_api: tuple[str, list[dict[str, str]]]) -> None:
    base_url, seen = card_api
    async with CardApiClient(CardApiTarget(base_url=base_url), "north") as client:
        answers = [await client.call("GET", "/ok", Pong) for _ in range(3)]
    assert len({h["X-Peer"] for h in seen}) == 3  # three client ports: no connection reused
    assert all(h["Connection"] == "close" for h in seen)
    assert all({"connect", "first_byte"} <= set(a.phases) and "tls" not in a.phases for a in answers)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_card_api(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    app = web.Application()
    app[SEEN] = []
    app.router.add_route("*", "/{kind}", _handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


TLS_CASES = [("trusted", True, Reason.APPROVED), ("untrusted", False, Reason.TLS_ERROR)]


@pytest.mark.parametrize(("trusted", "reason"), [c[1:] for c in TLS_CASES], ids=[c[0] for c in TLS_CASES])
async def test_tls_handshake_is_its_own_phase_and_a_bad_certificate_a_tls_error(
    tls_card_api: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, trusted: bool, reason: Reason
) -> None:
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # as an operator trusts a private CA
    async with CardApiClient(CardApiTarget(base_url=tls_card_api), "north") as client:
        answer = await client.call("GET", "/ok", Pong)
    assert answer.reason is reason, answer.detail
    assert "connect" in answer.phases
    assert ("tls" in answer.phases and "first_byte" in answer.phases) is trusted


async def test_plain_http_server_behind_an_https_url_is_a_tls_error(card_api: tuple[str, list[dict[str, str]]]) -> None:
    base_url, _ = card_api
    async with CardApiClient(CardApiTarget(base_url=base_url.replace("http:", "https:")), "north") as client:
        answer = await client.call("GET", "/ok", Pong)
    assert (answer.ok, answer.reason) == (False, Reason.TLS_ERROR)


async def test_dns_phase_and_dns_failure(card_api: tuple[str, list[dict[str, str]]]) -> None:
    base_url, _ = card_api
    async with CardApiClient(CardApiTarget(base_url=base_url.replace("127.0.0.1", "localhost")), "north") as client:
        resolved = await client.call("GET", "/ok", Pong)
    async with CardApiClient(CardApiTarget(base_url="http://no-such-host.invalid:1"), "north") as client:
        unresolved = await client.call("GET", "/ok", Pong)
    assert resolved.ok and {"dns", "connect", "first_byte"} <= set(resolved.phases)
    assert (unresolved.ok, unresolved.reason) == (False, Reason.DNS_ERROR)
