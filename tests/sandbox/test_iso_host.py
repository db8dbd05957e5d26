"""ISO 8583 round trips with the POS host: echo, authorization, balance, reversal, legacy terminals,
malformed frames, and many terminals at once."""

from __future__ import annotations

import asyncio
import struct

import pytest

from paywatch.cards import luhn_check_digit
from paywatch.config import PaywatchConfig
from paywatch.iso8583 import decode, encode, original_data_elements, read_frame, transmission_datetime
from sandbox import RunningSandbox
from tests.sandbox.helpers import Terminal, authorization_message


async def _connect(sandbox: RunningSandbox) -> Terminal:
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    return Terminal(reader, writer)


def _reversal(original: dict[str, str], stan: str) -> dict[str, str]:
    message = {k: original[k] for k in ("2", "3", "4", "41", "42", "49")}
    message.update(
        {
            "t": "0400",
            "7": transmission_datetime(),
            "11": stan,
            "90": original_data_elements("0100", original["11"], original["7"]),
        }
    )
    return message


async def test_echo(terminal: Terminal, config: PaywatchConfig) -> None:
    field7 = transmission_datetime()
    answer = await terminal.send(
        {"t": "0800", "7": field7, "11": "000001", "41": config.regions[0].terminals[0].id, "70": "301"}
    )
    assert answer == {
        "t": "0810",
        "7": field7,
        "11": "000001",
        "39": "00",
        "41": config.regions[0].terminals[0].id,
        "70": "301",
    }


async def test_authorization_approves_without_pan_in_answer(terminal: Terminal, config: PaywatchConfig) -> None:
    request = authorization_message(config, terminal.stan())
    answer = await terminal.send(request)
    assert answer is not None
    assert answer["t"] == "0110" and answer["39"] == "00"
    assert "2" not in answer
    assert {k: answer[k] for k in ("3", "4", "7", "11", "41", "42", "49")} == {
        k: request[k] for k in ("3", "4", "7", "11", "41", "42", "49")
    }
    assert len(answer["37"]) == 12 and len(answer["38"]) == 6
    assert answer["54"] == f"0002156C{1_000_000 - 100:012d}"


async def test_balance_inquiry_reports_available(terminal: Terminal, config: PaywatchConfig) -> None:
    answer = await terminal.send(authorization_message(config, terminal.stan(), **{"3": "310000", "4": "0" * 12}))
    assert answer is not None
    assert (answer["39"], answer["54"]) == ("00", f"0002156C{1_000_000:012d}")


async def test_reversal_via_field_90_releases_hold_idempotently(
    terminal: Terminal, config: PaywatchConfig, sandbox: RunningSandbox
) -> None:
    line = sandbox.ledger.credit_lines[config.regions[0].pos_card.credit_line_id]
    original = authorization_message(config, terminal.stan())
    assert (await terminal.send(original) or {}).get("39") == "00"
    assert (line.held, line.open_holds) == (100, 1)
    for _ in range(2):
        reversal = _reversal(original, terminal.stan())
        answer = await terminal.send(reversal)
        assert answer == {"t": "0410", "11": reversal["11"], "39": "00", "41": reversal["41"], "90": reversal["90"]}
    assert (line.held, line.open_holds, line.available) == (0, 0, line.limit)


async def test_reversal_of_unknown_original_is_accepted(terminal: Terminal, config: PaywatchConfig) -> None:
    never_sent = authorization_message(config, "999999")
    answer = await terminal.send(_reversal(never_sent, terminal.stan()))
    assert answer is not None and answer["39"] == "00"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"41": "L00LEGCY", "42": "M00LEGACYSTORE1"}, "57", id="legacy-terminal-57"),
        pytest.param({"41": "ZZZZZZZZ"}, "58", id="unknown-terminal-58"),
        pytest.param({"42": "MWRONGMERCHANT1"}, "03", id="merchant-not-the-terminals-03"),
        pytest.param({"14": "0101"}, "14", id="wrong-expiry-14"),
        pytest.param({"2": "6229990000000000"}, "14", id="unknown-card-14"),
        pytest.param({"4": "000001000000"}, "59", id="risk-59"),
        pytest.param({"49": "840"}, "12", id="currency-12"),
        pytest.param({"4": "000000400000", "repeat": "3"}, "51", id="insufficient-funds-51"),
    ],
)
async def test_pos_declines(terminal: Terminal, config: PaywatchConfig, overrides: dict[str, str], code: str) -> None:
    repeat = int(overrides.pop("repeat", "1"))
    if "2" in overrides:
        partial = overrides["2"][:-1]

        overrides["2"] = partial + luhn_check_digit(partial)
    for _ in range(repeat):
        answer = await terminal.send(authorization_message(config, terminal.stan(), **overrides))
    assert answer is not None and answer["39"] == code


async def test_many_concurrent_terminals(sandbox: RunningSandbox, config: PaywatchConfig) -> None:
    terminals = await asyncio.gather(*(_connect(sandbox) for _ in range(200)))
    try:
        answers = await asyncio.gather(
            *(t.send(authorization_message(config, f"{i + 1:06d}", region=i % 3)) for i, t in enumerate(terminals))
        )
    finally:
        await asyncio.gather(*(t.close() for t in terminals))
    assert [a["39"] if a else None for a in answers] == ["00"] * 200
    assert sandbox.ledger.summary()["open_holds"] == 200


async def test_many_messages_on_one_connection(terminal: Terminal, config: PaywatchConfig) -> None:
    codes = [(await terminal.send(authorization_message(config, terminal.stan())) or {}).get("39") for _ in range(50)]
    assert codes == ["00"] * 50


@pytest.mark.parametrize(
    ("frame", "answer"),
    [
        pytest.param(b"0100garbage-bitmap", {"t": "0110", "39": "30"}, id="readable-0100-mti"),
        pytest.param(b"0800\xff\xfe", {"t": "0810", "39": "30"}, id="readable-0800-mti"),
        pytest.param(b"0400", {"t": "0410", "39": "30"}, id="mti-only-0400"),
        pytest.param(b"\x00\x01\x02\x03garbage", None, id="unreadable-mti-closes"),
        pytest.param(b"zzzz", None, id="letters-mti-closes"),
    ],
)
async def test_malformed_body(
    terminal: Terminal, sandbox: RunningSandbox, frame: bytes, answer: dict[str, str] | None
) -> None:
    terminal.writer.write(struct.pack(">H", len(frame)) + frame)
    await terminal.writer.drain()
    body = await asyncio.wait_for(read_frame(terminal.reader), 5)
    assert (decode(body) if body is not None else None) == answer
    await _host_still_serves(sandbox)


async def test_missing_required_field_answers_30(terminal: Terminal, config: PaywatchConfig) -> None:
    message = authorization_message(config, terminal.stan())
    del message["14"]
    answer = await terminal.send(message)
    assert answer is not None and answer["39"] == "30" and answer["11"] == message["11"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x00\x00", id="zero-length"),
        pytest.param(b"\xff\xff" + b"x" * 10, id="length-over-max"),
        pytest.param(b"\x00", id="half-a-prefix"),
        pytest.param(b"\x00\x40short", id="truncated-frame"),
    ],
)
async def test_bad_length_prefix_closes_only_that_connection(sandbox: RunningSandbox, raw: bytes) -> None:
    bad = await _connect(sandbox)
    bad.writer.write(raw)
    await bad.writer.drain()
    if raw in (b"\x00", b"\x00\x40short"):
        bad.writer.write_eof()
    assert await asyncio.wait_for(bad.reader.read(), 5) == b""  # closed without an answer
    await bad.close()
    await _host_still_serves(sandbox)


async def test_unsupported_request_mti_answers_30(terminal: Terminal) -> None:
    terminal.writer.write(struct.pack(">H", 22) + encode({"t": "0200", "39": "00"})[:22])
    await terminal.writer.drain()
    body = await asyncio.wait_for(read_frame(terminal.reader), 5)
    assert body is not None and decode(body) == {"t": "0210", "39": "30"}


async def _host_still_serves(sandbox: RunningSandbox) -> None:
    other = await _connect(sandbox)
    try:
        answer = await other.send(
            {"t": "0800", "7": transmission_datetime(), "11": "000777", "41": "TNO00001", "70": "301"}
        )
    finally:
        await other.close()
    assert answer is not None and answer["39"] == "00"


async def test_disabled_merchant_declines_58(
    terminal: Terminal, config: PaywatchConfig, sandbox: RunningSandbox
) -> None:
    sandbox.ledger.merchants[config.regions[0].terminals[0].merchant_id] = False
    answer = await terminal.send(authorization_message(config, terminal.stan()))
    assert answer is not None and answer["39"] == "58"
    assert sandbox.ledger.summary()["open_holds"] == 0
