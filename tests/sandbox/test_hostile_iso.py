"""Hostile ISO 8583 traffic: mutated frames and terminals dropping mid-frame leave the POS host serving,
with no connection left behind and no card number in the event log."""

from __future__ import annotations

import asyncio
import random
import struct

from paywatch.cards import find_pans, luhn_check_digit
from paywatch.config import PaywatchConfig
from paywatch.iso8583 import decode, encode, read_frame
from sandbox import RunningSandbox
from tests.sandbox.helpers import Terminal, authorization_message

SEED = 8583


async def _exchange_raw(sandbox: RunningSandbox, raw: bytes) -> bytes | None:
    """Send ``raw``, then half-close: the host answers one frame or closes, within the timeout."""
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    try:
        writer.write(raw)
        writer.write_eof()
        async with asyncio.timeout(5):
            try:
                return await read_frame(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                return None
    finally:
        writer.close()


async def _connections_settle(sandbox: RunningSandbox) -> int:
    """The host's open terminal connections once closes have been processed (bounded wait)."""
    host = sandbox.pos_host
    assert host is not None
    for _ in range(50):
        if host.connections == 0:
            break
        await asyncio.sleep(0.02)
    return host.connections


async def test_mutated_frames_get_an_answer_or_a_close_and_the_host_keeps_serving(
    sandbox: RunningSandbox, config: PaywatchConfig
) -> None:
    good = encode(authorization_message(config, "000001"))
    rng = random.Random(SEED)
    answered = 0
    for _ in range(60):
        body = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            body[rng.randrange(len(body))] = rng.randrange(256)
        if rng.random() < 0.3:
            body = body[: rng.randrange(1, len(body))]
        answer = await _exchange_raw(sandbox, struct.pack(">H", len(body)) + bytes(body))
        if answer is not None:
            answered += 1
            assert "2" not in decode(answer)  # every answer decodes, and none carries a PAN
    assert answered > 0
    assert await _connections_settle(sandbox) == 0
    assert find_pans(sandbox.event_log.read_text()) == []
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    terminal = Terminal(reader, writer)
    try:
        after = await terminal.send(authorization_message(config, terminal.stan()))
    finally:
        await terminal.close()
    assert after is not None and after["39"] == "00"


async def test_terminals_dropping_mid_frame_leave_no_connection_behind(
    sandbox: RunningSandbox, config: PaywatchConfig
) -> None:
    frame = encode(authorization_message(config, "000002"))
    raw = struct.pack(">H", len(frame)) + frame
    rng = random.Random(SEED)

    async def drop(index: int) -> None:
        _, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
        writer.write(raw[: rng.randrange(1, len(raw))])
        await writer.drain()
        if index % 2:
            writer.transport.abort()  # reset
        else:
            writer.close()  # orderly close inside the frame

    await asyncio.gather(*(drop(i) for i in range(40)))
    assert await _connections_settle(sandbox) == 0
    assert sandbox.ledger.summary()["authorizations"] == 0  # no half frame was taken for a message


async def test_a_card_number_in_field_42_stays_out_of_the_event_log(
    sandbox: RunningSandbox, config: PaywatchConfig
) -> None:
    merchant = "41111111111111"
    merchant += luhn_check_digit(merchant)  # 15 digits, Luhn-valid: shaped like a PAN
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    terminal = Terminal(reader, writer)
    try:
        message = authorization_message(config, terminal.stan())
        answer = await terminal.send({**message, "42": merchant})
    finally:
        await terminal.close()
    assert answer is not None and answer["39"] == "03"  # not the terminal's merchant
    logged = sandbox.event_log.read_text()
    assert '"response_code": "03"' in logged
    assert find_pans(logged) == []


async def test_a_terminal_stalled_inside_a_frame_is_disconnected_an_idle_one_is_not(
    sandbox: RunningSandbox, config: PaywatchConfig
) -> None:
    host = sandbox.pos_host
    assert host is not None
    host.frame_timeout_s = 0.2
    frame = encode(authorization_message(config, "000003"))
    stalled_reader, stalled = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    idle_reader, idle = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    try:
        stalled.write(struct.pack(">H", len(frame)) + frame[:10])  # and nothing more
        await stalled.drain()
        assert await asyncio.wait_for(stalled_reader.read(), 5) == b""  # closed by the host
        terminal = Terminal(idle_reader, idle)  # silent all along, still served
        answer = await terminal.send(authorization_message(config, terminal.stan()))
        assert answer is not None and answer["39"] == "00"
    finally:
        stalled.close()
        idle.close()
    assert sandbox.ledger.summary()["authorizations"] == 1
