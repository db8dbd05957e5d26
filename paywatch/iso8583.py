"""ISO 8583 framing and codec shared by the POS host and the POS probe.

Messages use pyiso8583's ``default_ascii`` spec, each framed by a 2-byte big-endian length.
Exceptions (all ``Iso8583Error``)::

    Iso8583Error
    ├── FrameError    the frame itself is unusable (length prefix, size, connection closed mid-frame)
    └── CodecError    the frame's content does not decode/encode (wraps pyiso8583's errors)
"""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime

import iso8583
from iso8583.specs import default_ascii

from paywatch.cards import redact_pans

__all__ = [
    "MAX_FRAME",
    "SPEC",
    "CodecError",
    "FrameError",
    "Iso8583Error",
    "Message",
    "decode",
    "encode",
    "original_data_elements",
    "read_frame",
    "transmission_datetime",
    "write_frame",
]

SPEC = default_ascii
MAX_FRAME = 4096
Message = dict[str, str]


class Iso8583Error(Exception):
    """Base of this module's errors; messages never contain card data."""


class FrameError(Iso8583Error):
    pass


class CodecError(Iso8583Error):
    pass


def encode(message: Message) -> bytes:
    """Encode a message dict (``"t"`` is the MTI; field numbers as strings) to its frame body."""
    try:
        raw, _ = iso8583.encode(dict(message), SPEC)
    except iso8583.EncodeError as exc:
        raise CodecError(redact_pans(str(exc))) from None
    return bytes(raw)


def decode(body: bytes) -> Message:
    """Decode a frame body; bitmaps are dropped from the result."""
    try:
        decoded, _ = iso8583.decode(bytearray(body), SPEC)
    except (iso8583.DecodeError, UnicodeDecodeError, ValueError) as exc:
        raise CodecError(redact_pans(str(exc))) from None
    return {k: v for k, v in decoded.items() if k not in ("p", "1")}


def frame(body: bytes) -> bytes:
    if len(body) > 0xFFFF:
        raise FrameError(f"message of {len(body)} bytes does not fit a 2-byte length prefix")
    return struct.pack(">H", len(body)) + body


async def read_frame(reader: asyncio.StreamReader, frame_timeout: float | None = None) -> bytes | None:
    """The next frame body, or ``None`` on a clean end of stream before a new frame.

    Waiting for a frame to begin has no limit; once its first byte is in, ``frame_timeout`` seconds bound
    the rest, so a sender stalled inside a frame gets ``FrameError`` instead of holding the reader."""
    try:
        first = await reader.readexactly(1)
    except asyncio.IncompleteReadError:
        return None
    try:
        async with asyncio.timeout(frame_timeout):
            return await _rest_of_frame(reader, first)
    except TimeoutError:
        raise FrameError(f"frame not complete {frame_timeout:g} s after its first byte") from None


async def _rest_of_frame(reader: asyncio.StreamReader, first: bytes) -> bytes:
    try:
        header = first + await reader.readexactly(1)
    except asyncio.IncompleteReadError:
        raise FrameError("connection closed inside a length prefix") from None
    (length,) = struct.unpack(">H", header)
    if length == 0 or length > MAX_FRAME:
        raise FrameError(f"frame length {length} outside 1..{MAX_FRAME}")
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise FrameError(f"connection closed inside a {length}-byte frame") from None


async def write_frame(writer: asyncio.StreamWriter, body: bytes) -> None:
    writer.write(frame(body))
    await writer.drain()


def transmission_datetime(now: datetime | None = None) -> str:
    """Field 7, MMDDhhmmss in UTC."""
    return (now or datetime.now(UTC)).strftime("%m%d%H%M%S")


def original_data_elements(original_mti: str, original_stan: str, original_field7: str) -> str:
    """Field 90 of a reversal: original MTI, STAN, transmission date-time, then 22 zeros."""
    value = f"{original_mti}{original_stan}{original_field7}" + "0" * 22
    if len(value) != 42:
        raise CodecError("original data elements must be 42 characters")
    return value
