"""Hostile answers from the target: huge, garbled, cut or dripping answers end in a classified
failure of the step (never a crash, never a wait past the step timeout), on HTTP and ISO 8583."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from paywatch.cards import luhn_check_digit
from paywatch.config import CardApiTarget, JourneySpec, PaywatchConfig, default_config
from paywatch.taxonomy import Reason
from probes import JourneyRunner, Reverser
from probes.http_client import MAX_BODY_BYTES, MAX_HEADER_BYTES, CardApiClient
from probes.journeys import build_journey
from probes.models import AuthorizationAnswer
from tests.probes.conftest import probe_config
from tests.probes.user_journey import HealthCheck, SlowEcho

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Pong(BaseModel):
    pong: int


def _http(head: bytes, body: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + head + b"\r\n" + body


async def _answer_with(data: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(data)
    await writer.drain()
    writer.close()


def answering(data: bytes) -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer_with(data, reader, writer)

    return serve


def dripping(data: bytes) -> Serve:
    """A byte of a plausible answer now and then: only the step timeout ends it."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        with contextlib.suppress(ConnectionError):
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)

    return serve


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # reads until the client gives up


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Serve], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(serve: Serve) -> int:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        # Handlers still dripping into a connection the client dropped end with the loop.


# A well-formed answer the model would accept, were it not four times the cap.
_HUGE = b'{"pong": 1, "padding": "' + b"x" * (MAX_BODY_BYTES * 4) + b'"}'

HTTP_CASES = [
    (
        "huge-body",
        answering(_http(b"Content-Length: %d\r\n" % len(_HUGE), _HUGE)),
        Reason.INTERFACE_ERROR,
    ),
    ("huge-headers", answering(_http(b"X-Junk: " + b"j" * (MAX_HEADER_BYTES * 2) + b"\r\n")), Reason.INTERFACE_ERROR),
    ("not-http", answering(b"\x16\x03\x01 hello, this is not HTTP\r\n\r\n"), Reason.INTERFACE_ERROR),
    ("wrong-types", answering(_http(b"Content-Length: 16\r\n", b'{"pong": "many"}')), Reason.INTERFACE_ERROR),
    ("cut-mid-body", answering(_http(b"Content-Length: 100\r\n", b'{"pong": ')), Reason.CONNECTION_RESET),
    ("closed-before-answer", answering(b""), Reason.CONNECTION_RESET),
    ("close-delimited", answering(_http(b"", b'{"pong": 1}')), Reason.APPROVED),
    (
        "chunked",
        answering(_http(b"Transfer-Encoding: chunked\r\n", b'5\r\n{"pon\r\n6\r\ng": 2}\r\n0\r\n\r\n')),
        Reason.APPROVED,
    ),
    (
        "continue-then-answer",
        answering(b"HTTP/1.1 100 Continue\r\n\r\n" + _http(b"Content-Length: 11\r\n", b'{"pong": 3}')),
        Reason.APPROVED,
    ),
]


@pytest.mark.parametrize(("serve", "reason"), [c[1:] for c in HTTP_CASES], ids=[c[0] for c in HTTP_CASES])
async def test_hostile_http_answer_is_classified(
    raw_server: Callable[[Serve], Awaitable[int]], serve: Serve, reason: Reason
) -> None:
    port = await raw_server(serve)
    async with CardApiClient(CardApiTarget(base_url=f"http://127.0.0.1:{port}"), "north") as client:
        answer = await client.call("GET", "/ping", Pong)
    assert answer.reason is reason, answer.detail
    assert (answer.body is not None) is (reason is Reason.APPROVED)


def _config(tmp_path: Path, port: int, journey: str) -> PaywatchConfig:
    """Both targets aimed at the one scripted server; the journey decides which client meets it."""
    config = probe_config(default_config(), f"http://127.0.0.1:{port}", "127.0.0.1", port, tmp_path)
    spec = JourneySpec(name="hostile", module=journey, step_timeout_s=0.3, timeout_s=1.0)
    return config.model_copy(update={"journeys": [spec]})


def _health() -> list[object]:
    return [HealthCheck()]


def _echo() -> list[object]:
    return [SlowEcho()]


async def _iso_answering(body: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(2)
    writer.write(body)
    await writer.drain()
    await reader.read()


def iso_answering(body: bytes) -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _iso_answering(body, reader, writer)

    return serve


STEP_CASES = [
    (
        "http-slow-drip",
        "tests.probes.test_hostile_answers:_health",
        dripping(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b" " * 1000),
        Reason.TIMEOUT,
    ),
    ("http-silent", "tests.probes.test_hostile_answers:_health", silent, Reason.TIMEOUT),
    ("iso-silent", "tests.probes.test_hostile_answers:_echo", silent, Reason.TIMEOUT),
    ("iso-slow-drip", "tests.probes.test_hostile_answers:_echo", dripping(b"\x00\x40" + b"0" * 64), Reason.TIMEOUT),
    (
        "iso-huge-length",
        "tests.probes.test_hostile_answers:_echo",
        iso_answering(b"\xff\xff" + b"0" * 64),
        Reason.INTERFACE_ERROR,
    ),
    (
        "iso-garbage-frame",
        "tests.probes.test_hostile_answers:_echo",
        iso_answering(b"\x00\x08\x00\x01garbage"),
        Reason.INTERFACE_ERROR,
    ),
]


@pytest.mark.parametrize(("journey", "serve", "reason"), [c[1:] for c in STEP_CASES], ids=[c[0] for c in STEP_CASES])
async def test_hostile_target_fails_the_step_within_its_timeout(
    raw_server: Callable[[Serve], Awaitable[int]], tmp_path: Path, journey: str, serve: Serve, reason: Reason
) -> None:
    port = await raw_server(serve)
    config = _config(tmp_path, port, journey)
    [spec] = config.journeys
    runner = JourneyRunner(config, Reverser(config))

    # The outer bound only guards the test run; the step's own timeout (0.3 s) must end it.
    result = await asyncio.wait_for(runner.run(spec, config.regions[0], build_journey(spec)), timeout=10)
    [step] = result.steps
    assert (step.ok, step.reason) == (False, reason), step.detail


PAN = "622999000000000" + luhn_check_digit("622999000000000")  # it must never travel on into a result
CODE_CASES = [
    ("approval-answer", 200, {"authorization_id": "A1", "approved": False, "response_code": PAN, "reason": "x"}),
    ("declined-error", 422, {"error": "declined", "response_code": PAN}),
    ("error-slug", 503, {"error": f"card {PAN} unavailable"}),
]


@pytest.mark.parametrize(("status", "body"), [c[1:] for c in CODE_CASES], ids=[c[0] for c in CODE_CASES])
async def test_card_data_written_by_the_target_never_reaches_the_answer(
    raw_server: Callable[[Serve], Awaitable[int]], status: int, body: dict[str, object]
) -> None:
    payload = json.dumps(body).encode()
    head = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(payload))
    port = await raw_server(answering(head + payload))
    async with CardApiClient(CardApiTarget(base_url=f"http://127.0.0.1:{port}"), "north") as client:
        answer = await client.call("POST", "/v1/authorizations", AuthorizationAnswer, json={})
    assert not answer.ok
    assert answer.response_code is None
    assert PAN not in repr(answer)
