"""ISO 8583 framing and codec."""

from __future__ import annotations

import asyncio

import pytest

from paywatch.iso8583 import CodecError, FrameError, decode, encode, original_data_elements, read_frame, write_frame


def test_round_trip() -> None:
    message = {"t": "0100", "2": "6229999000000014", "3": "000000", "4": "000000000100", "11": "000001"}
    assert decode(encode(message)) == message


@pytest.mark.parametrize(
    "body", [b"", b"01", b"0100zzzzzzzzzzzzzzzz", b"\xff\xfe\x00garbage"], ids=["empty", "mti-only", "bitmap", "binary"]
)
def test_garbage_raises_codec_error(body: bytes) -> None:
    with pytest.raises(CodecError):
        decode(body)


def test_codec_error_never_shows_a_pan() -> None:
    with pytest.raises(CodecError) as info:
        encode({"t": "0100", "2": "6229999000000014" + "9" * 10})
    assert "6229999000000014" not in str(info.value)


def test_original_data_elements_is_42_chars() -> None:
    value = original_data_elements("0100", "000123", "1201211800")
    assert len(value) == 42 and value.startswith("01000001231201211800")


async def _pipe(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_read_frame_clean_eof_is_none() -> None:
    assert await read_frame(await _pipe(b"")) is None


async def test_read_frame_reads_exact_length() -> None:
    reader = await _pipe(b"\x00\x03abc\x00\x01z")
    assert await read_frame(reader) == b"abc"
    assert await read_frame(reader) == b"z"


@pytest.mark.parametrize(
    "data", [b"\x00", b"\x00\x05ab", b"\x00\x00", b"\xff\xff" + b"x" * 10], ids=["half-prefix", "short", "zero", "huge"]
)
async def test_read_frame_bad_frames(data: bytes) -> None:
    with pytest.raises(FrameError):
        await read_frame(await _pipe(data))


async def test_write_frame_prefixes_length() -> None:
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await write_frame(writer, b"hello")
    writer.close()
    await writer.wait_closed()
    for _ in range(50):
        if received:
            break
        await asyncio.sleep(0.01)
    server.close()
    await server.wait_closed()
    assert received == [b"\x00\x05hello"]
