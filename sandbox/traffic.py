"""Organic traffic: production-like authorizations sent to the sandbox's own HTTP and ISO 8583 ports.

Mostly approvals, some business declines, rare technical failures; approvals are captured or
reversed, lost answers are recovered and reversed, and credit lines are repaid, so holds stay bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from paywatch.config import PaywatchConfig, SandboxTerminal
from paywatch.iso8583 import (
    Iso8583Error,
    decode,
    encode,
    original_data_elements,
    read_frame,
    transmission_datetime,
    write_frame,
)
from paywatch.taxonomy import classify_iso_code
from sandbox.decision import CURRENCY
from sandbox.http_api import REGION_HEADER
from sandbox.ledger import Card, Ledger
from sandbox.seed import Portfolio

__all__ = ["MIX", "TrafficGenerator", "purchase_message", "reversal_message"]

MIX: dict[str, float] = {
    "online_ok": 0.44,
    "pos_ok": 0.38,
    "insufficient_funds": 0.05,
    "expired_card": 0.04,
    "wrong_cvv": 0.03,
    "legacy_terminal": 0.04,
    "suspected_fraud": 0.02,
}
"""Share of each kind of organic authorization; technical failures come from the issuer's own
background rate and from injected faults."""

_T = TypeVar("_T")

REQUEST_TIMEOUT_S = 5.0
MIN_IN_FLIGHT = 64
"""In-flight authorizations allowed: at least this, or enough to ride out a timeout fault at the rate."""
REPAY_BELOW = 0.3
"""A production credit line whose available amount falls below this share of its limit is repaid."""
CAPTURE_SHARE = 0.7
MAX_RECOVERY_ATTEMPTS = 20


def purchase_message(
    pan: str, expiry: str, amount: int, *, terminal_id: str, merchant_id: str, stan: str, field7: str
) -> dict[str, str]:
    """A 0100 purchase as PROTOCOL.md's terminals send it."""
    return {
        "t": "0100",
        "2": pan,
        "3": "000000",
        "4": f"{amount:012d}",
        "7": field7,
        "11": stan,
        "12": field7[4:],
        "13": field7[:4],
        "14": expiry,
        "22": "051",
        "25": "00",
        "41": terminal_id,
        "42": merchant_id,
        "49": CURRENCY,
    }


def reversal_message(purchase: dict[str, str], *, stan: str, field7: str) -> dict[str, str]:
    """The 0400 that reverses ``purchase``: its fields 2-4, 41, 42, 49, a new STAN, and field 90 naming it."""
    reversal = {k: purchase[k] for k in ("2", "3", "4", "41", "42", "49")}
    reversal.update(
        {"t": "0400", "7": field7, "11": stan, "90": original_data_elements("0100", purchase["11"], purchase["7"])}
    )
    return reversal


@dataclass(slots=True)
class _Terminal:
    spec: SandboxTerminal
    lock: asyncio.Lock
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None


class TrafficGenerator:
    """Sends ``rate`` authorizations per second until stopped (or ``duration_s`` passes)."""

    def __init__(
        self,
        config: PaywatchConfig,
        portfolio: Portfolio,
        ledger: Ledger,
        *,
        http_url: str,
        iso_address: tuple[str, int],
        rate: float,
        duration_s: float | None = None,
        seed: int | None = None,
    ) -> None:
        self._config = config
        self._portfolio = portfolio
        self._ledger = ledger
        self._http_url = http_url
        self._iso_address = iso_address
        self._rate = rate
        self._duration_s = duration_s
        self._max_in_flight = max(MIN_IN_FLIGHT, int(rate * 4 * REQUEST_TIMEOUT_S))
        self._rng = random.Random(config.sandbox.seed + 3 if seed is None else seed)
        self._api_key = config.sandbox.api_keys[-1].get_secret_value()
        terminals = config.sandbox_terminals()
        self._capable = [_Terminal(t, asyncio.Lock()) for t in terminals if t.credit_line]
        self._legacy = [_Terminal(t, asyncio.Lock()) for t in terminals if not t.credit_line]
        self._regions = [r.name for r in config.regions]
        self._kinds = list(MIX)
        self._weights = list(MIX.values())
        self._stan = 0
        self._serial = 0
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.outcomes: Counter[str] = Counter()
        """Counts by outcome (approved, declined, failed) and ``lost`` for answers that never came."""
        self.sent = 0
        self.skipped = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sandbox-traffic")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for terminal in self._capable + self._legacy:
            self._drop(terminal)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def wait(self) -> None:
        """Until a bounded run (``duration_s``) has sent everything and settled what it could."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )
        interval = 1.0 / self._rate
        started = next_at = time.monotonic()
        while self._duration_s is None or time.monotonic() - started < self._duration_s:
            next_at += interval
            if len(self._in_flight) < self._max_in_flight:
                self._spawn(self._one)
            else:
                self.skipped += 1
            if self.sent % 50 == 0:
                self._repay()
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    def _spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        async def guarded() -> None:
            with contextlib.suppress(aiohttp.ClientError, Iso8583Error, OSError, TimeoutError, ValueError):
                await work()

        task = asyncio.create_task(guarded())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def _repay(self) -> None:
        for line_id in self._portfolio.credit_line_ids:
            line = self._ledger.credit_line(line_id)
            if line is not None and line.available < line.limit * REPAY_BELOW:
                self._ledger.repay(line_id)

    # one authorization

    async def _one(self) -> None:
        self.sent += 1
        rng = self._rng
        kind = rng.choices(self._kinds, self._weights)[0]
        card = rng.choice(self._portfolio.healthy)
        amount = rng.choice((rng.randrange(500, 5_000), rng.randrange(5_000, 50_000)))
        online = kind in ("online_ok", "wrong_cvv") or (
            kind not in ("pos_ok", "legacy_terminal") and rng.random() < 0.5
        )
        cvv = card.cvv
        if kind == "insufficient_funds":
            card, amount = rng.choice(self._portfolio.exhausted), rng.randrange(5_000, 20_000)
        elif kind == "expired_card":
            card = rng.choice(self._portfolio.expired)
        elif kind == "wrong_cvv":
            cvv = f"{(int(card.cvv) + 1) % 1000:03d}"
        elif kind == "suspected_fraud":
            amount = rng.randrange(600_000, 900_000)
        if online:
            await self._online(card, amount, cvv)
        else:
            pool = self._legacy if kind == "legacy_terminal" and self._legacy else self._capable
            await self._pos(rng.choice(pool), card, amount)

    def _count(self, code: str | None) -> None:
        self.outcomes["lost" if code is None else classify_iso_code(code).outcome.value] += 1

    async def _online(self, card: Card, amount: int, cvv: str) -> None:
        assert self._session is not None
        self._serial += 1
        key = f"organic-{self._config.sandbox.seed}-{self._serial}-{self._rng.randrange(1 << 30)}"
        body = {
            "pan": card.pan,
            "expiry": card.expiry,
            "cvv": cvv,
            "amount": amount,
            "currency": "156",
            "merchant_id": f"MONLINE{self._rng.randrange(1, 40):08d}",
        }
        headers = {"Idempotency-Key": key, REGION_HEADER: self._rng.choice(self._regions)}

        async def attempt() -> dict[str, object] | None:
            assert self._session is not None
            async with self._session.post(f"{self._http_url}/v1/authorizations", json=body, headers=headers) as resp:
                if resp.status != 200:
                    # an answer, and a failure: the card API refused before any decision held funds
                    return {"approved": False, "http_status": resp.status}
                answer: dict[str, object] = await resp.json()
                return answer

        answer = await self._try(attempt)
        if answer is not None and "response_code" not in answer:
            self.outcomes["failed"] += 1
        else:
            self._count(str(answer["response_code"]) if answer else None)
        if answer is None:
            # the answer was lost: the same Idempotency-Key fetches it later, then it is settled
            answer = await self._retry(attempt)
        if answer is None or not answer.get("approved"):
            return
        action = "capture" if self._rng.random() < CAPTURE_SHARE else "reversal"
        url = f"{self._http_url}/v1/authorizations/{answer['authorization_id']}/{action}"

        async def settle() -> bool:
            assert self._session is not None
            async with self._session.post(url, json={}, headers={REGION_HEADER: headers[REGION_HEADER]}) as resp:
                return resp.status == 200

        await self._retry(settle)

    async def _pos(self, terminal: _Terminal, card: Card, amount: int) -> None:
        self._stan = self._stan % 999_999 + 1
        stan, field7 = f"{self._stan:06d}", transmission_datetime()
        spec = terminal.spec
        message = purchase_message(
            card.pan, card.expiry, amount, terminal_id=spec.id, merchant_id=spec.merchant_id, stan=stan, field7=field7
        )
        answer = await self._try(lambda: self._exchange(terminal, message))
        code = answer.get("39") if answer else None
        self._count(code)
        if code is not None and code != "00":
            return
        if code == "00" and self._rng.random() < CAPTURE_SHARE:
            # POS approvals are settled by the day's clearing, not by a message
            authorization = self._ledger.pos_authorization(spec.id, stan, field7, card.pan)
            if authorization is not None:
                self._ledger.capture(authorization)
            return

        async def reverse() -> bool:
            self._stan = self._stan % 999_999 + 1
            reversal = reversal_message(message, stan=f"{self._stan:06d}", field7=transmission_datetime())
            answer = await self._exchange(terminal, reversal)
            return answer.get("39") == "00"

        await self._retry(reverse)

    async def _exchange(self, terminal: _Terminal, message: dict[str, str]) -> dict[str, str]:
        async with terminal.lock:
            try:
                if terminal.stream is None:
                    terminal.stream = await asyncio.open_connection(*self._iso_address)
                reader, writer = terminal.stream
                await write_frame(writer, encode(message))
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    frame = await read_frame(reader)
                if frame is None:
                    raise ConnectionResetError("terminal connection closed")
                return decode(frame)
            except BaseException:
                # after a lost answer the connection's state is unknown: start a fresh one
                self._drop(terminal)
                raise

    @staticmethod
    def _drop(terminal: _Terminal) -> None:
        if terminal.stream is not None:
            terminal.stream[1].transport.abort()
            terminal.stream = None

    # retries

    async def _try(self, call: Callable[[], Awaitable[_T]]) -> _T | None:
        try:
            return await call()
        except (aiohttp.ClientError, Iso8583Error, OSError, TimeoutError, ValueError):
            return None

    async def _retry(self, call: Callable[[], Awaitable[_T]]) -> _T | None:
        """``call`` until it answers truthy, with capped backoff; bounded attempts so nothing piles up."""
        delay = 0.2
        for _ in range(MAX_RECOVERY_ATTEMPTS):
            result = await self._try(call)
            if result:
                return result
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        return None
