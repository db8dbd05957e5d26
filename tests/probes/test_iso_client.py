"""The terminal client against a scripted ISO 8583 host: answers, lost answers, and field layouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from paywatch.config import PosHostTarget, Terminal
from paywatch.iso8583 import Message, decode, encode, read_frame, write_frame
from paywatch.taxonomy import Reason
from probes.iso_client import PosTerminalClient, echo_message, parse_available, reversal_message

TERMINAL = Terminal(id="TNO00001", merchant_id="MNO00STORE00001")

Script = Callable[[Message], bytes | None]
"""The host's answer to a request: a frame body, or None to drop the connection."""


@pytest.fixture
async def host() -> AsyncIterator[Callable[[Script], Awaitable[PosHostTarget]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> PosHostTarget:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            body = await read_frame(reader)
            answer = script(decode(body)) if body is not None else None
            if answer is None:
                writer.transport.abort()
                return
            await write_frame(writer, answer)
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return PosHostTarget(host="127.0.0.1", port=server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def _answer(code: str, stan_delta: int = 0) -> Script:
    def script(request: Message) -> bytes:
        stan = f"{(int(request['11']) + stan_delta) % 1_000_000:06d}"
        return encode({"t": "0810", "7": request["7"], "11": stan, "39": code, "41": request["41"], "70": "301"})

    return script


CASES = [
    ("approved", _answer("00"), True, Reason.APPROVED),
    ("declined-05", _answer("05"), False, Reason.DO_NOT_HONOR),
    ("issuer-unavailable-91", _answer("91"), False, Reason.ISSUER_UNAVAILABLE),
    ("unknown-code", _answer("Q7"), False, Reason.UNKNOWN_RESPONSE_CODE),
    ("another-stan", _answer("00", stan_delta=1), False, Reason.INTERFACE_ERROR),
    ("garbage-frame", lambda _: b"0810ZZZZ", False, Reason.INTERFACE_ERROR),
    ("dropped", lambda _: None, False, Reason.CONNECTION_RESET),
]


@pytest.mark.parametrize(("script", "ok", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_answer_is_classified(
    host: Callable[[Script], Awaitable[PosHostTarget]], script: Script, ok: bool, reason: Reason
) -> None:
    async with PosTerminalClient(await host(script)) as client:
        answer = await client.exchange(echo_message(TERMINAL))
    assert (answer.ok, answer.reason) == (ok, reason)
    assert "connect" in answer.phases
    assert ("response" in answer.phases) is (reason is not Reason.CONNECTION_RESET)  # timed once it arrived


def test_reversal_names_the_original_in_field_90() -> None:
    message = reversal_message("TNO00001", "MNO00STORE00001", "6229991000000003", 100, "156", "000042", "1201213000")
    assert message["90"] == "0100" + "000042" + "1201213000" + "0" * 22
    assert message["11"] != "000042"
    assert decode(encode(message))["90"] == message["90"]


@pytest.mark.parametrize(
    ("field54", "available"),
    [
        ("0002156C000000001234", 1234),
        ("001156C000000000100", 100),
        ("0002156D000000000007", -7),
        (None, None),
        ("x", None),
    ],
    ids=["balance", "authorization", "debit", "absent", "garbled"],
)
def test_available_amount_from_field_54(field54: str | None, available: int | None) -> None:
    assert parse_available(field54) == available
