"""The POS terminal client of the probes: ISO 8583 over one TCP connection, with phase timings.

``exchange`` sends one message and reads its answer; failures come back as ``IsoAnswer`` data.
Message builders here keep the field layout of sandbox/PROTOCOL.md in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from paywatch.config import PosHostTarget, Terminal
from paywatch.iso8583 import (
    Message,
    decode,
    encode,
    original_data_elements,
    read_frame,
    transmission_datetime,
    write_frame,
)
from paywatch.taxonomy import ClientError, Reason, classify_client_error, classify_iso_code
from probes.errors import ProbeFailure, translate

__all__ = [
    "IsoAnswer",
    "PosTerminalClient",
    "authorization_message",
    "balance_message",
    "echo_message",
    "next_stan",
    "parse_available",
    "reversal_message",
]

_stan_counter = itertools.count(random.randrange(1, 999_999))


def next_stan() -> str:
    """A systems trace audit number (field 11): six digits, unique within a day per terminal."""
    return f"{next(_stan_counter) % 999_999 + 1:06d}"


@dataclass(frozen=True, slots=True)
class IsoAnswer:
    ok: bool
    """True when an answer arrived, decoded and says 39=00."""
    reason: Reason
    message: Message | None = None
    response_code: str | None = None
    phases: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    answered: bool = False
    """An answer arrived and decoded (whatever its code): the outcome is known."""


def echo_message(terminal: Terminal) -> Message:
    return {"t": "0800", "7": transmission_datetime(), "11": next_stan(), "41": terminal.id, "70": "301"}


def authorization_message(
    terminal: Terminal, pan: str, expiry: str, amount: int, currency: str, processing_code: str = "000000"
) -> Message:
    now = datetime.now(UTC)
    return {
        "t": "0100",
        "2": pan,
        "3": processing_code,
        "4": f"{amount:012d}",
        "7": transmission_datetime(now),
        "11": next_stan(),
        "12": now.strftime("%H%M%S"),
        "13": now.strftime("%m%d"),
        "14": expiry,
        "22": "051",
        "25": "00",
        "41": terminal.id,
        "42": terminal.merchant_id,
        "49": currency,
    }


def balance_message(terminal: Terminal, pan: str, expiry: str, currency: str) -> Message:
    return authorization_message(terminal, pan, expiry, 0, currency, processing_code="310000")


def reversal_message(
    terminal_id: str, merchant_id: str, pan: str, amount: int, currency: str, original_stan: str, original_field7: str
) -> Message:
    return {
        "t": "0400",
        "2": pan,
        "3": "000000",
        "4": f"{amount:012d}",
        "7": transmission_datetime(),
        "11": next_stan(),
        "41": terminal_id,
        "42": merchant_id,
        "49": currency,
        "90": original_data_elements("0100", original_stan, original_field7),
    }


def parse_available(field54: str | None) -> int | None:
    """The available amount from field 54 (``..156C`` + 12 digits); ``None`` if absent or odd."""
    if not field54 or len(field54) < 13:
        return None
    sign, digits = field54[-13], field54[-12:]
    if not digits.isdigit() or sign not in "CD":
        return None
    return int(digits) if sign == "C" else -int(digits)


class PosTerminalClient:
    """A terminal's TCP connection to the POS host, opened lazily and closed after a failure.

    After a lost or garbled answer the stream position is unknown, so the connection is dropped
    and the next exchange opens a new one."""

    def __init__(self, target: PosHostTarget) -> None:
        self._target = target
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> PosTerminalClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            # Closing a dead connection: nothing is left to report.
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def exchange(self, request: Message) -> IsoAnswer:
        """Send ``request``, wait for the answer with the same STAN; classify field 39."""
        phases: dict[str, float] = {}
        healthy = False
        try:
            if self._writer is None:
                started = time.perf_counter()
                self._reader, self._writer = await asyncio.open_connection(self._target.host, self._target.port)
                phases["connect"] = time.perf_counter() - started
            assert self._reader is not None
            sent = time.perf_counter()
            await write_frame(self._writer, encode(request))
            body = await read_frame(self._reader)
            if body is None:
                raise ProbeFailure(ClientError.CONNECTION_RESET, "connection closed by the POS host before an answer")
            phases["response"] = time.perf_counter() - sent
            answer = decode(body)
            if answer.get("11", request.get("11")) != request.get("11"):
                # Someone else's answer: the stream is out of step, and this one's fate unknown.
                raise ProbeFailure(ClientError.UNPARSEABLE, "answer carries another STAN than the request")
            healthy = True
        except Exception as exc:
            failure = translate(exc)
            if failure is None:
                raise
            return IsoAnswer(False, classify_client_error(failure.kind).reason, None, None, phases, failure.detail)
        finally:
            if not healthy:
                # Also on cancellation: a half-read stream cannot be reused.
                await self.close()
        code = answer.get("39")
        classification = classify_iso_code(code)
        ok = classification.reason is Reason.APPROVED
        detail = "" if ok else f"field 39 = {code}" if code else "answer without field 39"
        return IsoAnswer(ok, classification.reason, answer, code, phases, detail, answered=code is not None)
