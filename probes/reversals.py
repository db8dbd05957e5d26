"""The reversal guarantee: every synthetic authorization that may hold funds is reversed.

An authorization is tracked before it is sent; it stays pending until a reversal succeeds or a
definitive answer says nothing was held. Pending ones are persisted, retried with exponential
backoff, counted per journey and region (``ResultSink.set_open_holds``) and resumed after a restart.

What the state file (``<state_dir>/pending-reversals.json``, mode 0600, written atomically, one
owner process at a time: see ``probes.state``) holds:

- POS: terminal, merchant, amount, STAN and field 7 of the original (field 90 data) and the
  region, whose configured ``pos_card`` is the card reference. No PAN is stored.
- Online: the authorization id once known. While the answer is unknown (lost to a timeout or a
  reset) the id can only be learned by replaying the request with its ``Idempotency-Key``, and
  the card API accepts a replay only with the same body; so until the id is known the record
  keeps that body, which holds the card data of the probe's own disposable virtual card. It is
  dropped from the record as soon as the id is known, and the file is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from paywatch.config import PaywatchConfig
from paywatch.taxonomy import Reason
from probes.http_client import CardApiClient, HttpAnswer
from probes.iso_client import IsoAnswer, PosTerminalClient, reversal_message
from probes.models import AuthorizationAnswer, ReversalAnswer
from probes.results import ResultSink
from probes.state import StateFile

__all__ = ["STATE_FILE", "PendingReversal", "Reverser", "refused_outright"]

log = logging.getLogger(__name__)

STATE_FILE = "pending-reversals.json"


def refused_outright(status: int | None) -> bool:
    """An HTTP status saying the request was refused before any decision, so nothing is held.

    A 5xx may come from a gateway after the decision, and an unreadable 2xx carries one we
    cannot see: both leave the outcome unknown."""
    return status is not None and 400 <= status < 500 and status not in (408, 429)


class PendingReversal(BaseModel):
    """One authorization that may hold funds. Fields per channel; see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    journey: str
    region: str
    channel: Literal["online", "pos"]
    created_at: float
    attempts: int = 0
    last_reason: str | None = None
    # online
    authorization_id: str | None = None
    idempotency_key: str | None = None
    replay_body: dict[str, Any] | None = None
    # pos (field 90 data; the card is the region's configured pos_card)
    terminal_id: str | None = None
    merchant_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    stan: str | None = None
    field7: str | None = None
    settle_until: float | None = None
    """Unix time until which a POS authorization that never got an answer may still be decided
    (a slow host can approve after the terminal gave up, and after an early reversal found
    nothing to release): a reversal before then is repeated after it."""


class _State(BaseModel):
    version: Literal[1] = 1
    pending: list[PendingReversal] = []


class Reverser:
    """Tracks, persists and retries reversals. One per probe process (it owns the state file).

    Records tracked by a running journey are left to that journey's own reverse step until the
    journey hands them over (``release``); only then does the retry loop touch them."""

    def __init__(self, config: PaywatchConfig, sinks: Sequence[ResultSink] = (), path: Path | None = None) -> None:
        self._config = config
        self._sinks = list(sinks)
        self._file = StateFile(path or config.state_dir() / STATE_FILE)
        self._pending: dict[str, PendingReversal] = {}
        self._owned: set[str] = set()
        self._due: dict[str, float] = {}
        self._wakeup = asyncio.Event()
        self._reported: Counter[tuple[str, str]] = Counter()
        self._write_failing = False

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._file.path

    def pending(self, journey: str | None = None, region: str | None = None) -> list[PendingReversal]:
        return [
            r
            for r in self._pending.values()
            if (journey is None or r.journey == journey) and (region is None or r.region == region)
        ]

    def load(self) -> int:
        """Claim our state file and resume what it and any orphaned file hold; returns how many."""
        self._file.claim()
        return self._read(self._file.path) + self.adopt_orphans()

    def close(self) -> None:
        """Release our state file; what is still pending stays in it for the next process."""
        self._file.release()

    def adopt_orphans(self) -> int:
        """Take over the records of files left by probe processes that ended."""
        orphans = self._file.orphans()
        count = sum(self._read(path) for path, _ in orphans)
        if orphans:
            self._changed()  # our file holds them now; only then may theirs go
        for path, lock in orphans:
            self._file.adopted(path, lock)
        return count

    def _read(self, path: Path) -> int:
        raw = self._file.read(path)
        if raw is None:
            return 0
        try:
            state = _State.model_validate_json(raw)
        except ValidationError as exc:
            # A damaged file must not stop the probe, but it must not be overwritten silently either.
            damaged = self._file.move_aside(path)
            log.error("pending reversals file unreadable (%d errors), moved to %s", exc.error_count(), damaged)
            return 0
        for record in state.pending:
            self._pending[record.id] = record
            self._due[record.id] = 0.0
        self._changed()
        if state.pending:
            log.warning("resumed %d pending reversals from %s", len(state.pending), path)
        return len(state.pending)

    def track_online(self, journey: str, region: str, idempotency_key: str, body: dict[str, Any]) -> str:
        return self._track(journey, region, "online", idempotency_key=idempotency_key, replay_body=dict(body))

    def track_pos(self, journey: str, region: str, request: dict[str, str], settle_s: float) -> str:
        return self._track(
            journey,
            region,
            "pos",
            terminal_id=request["41"],
            merchant_id=request["42"],
            amount=int(request["4"]),
            currency=request["49"],
            stan=request["11"],
            field7=request["7"],
            settle_until=time.time() + settle_s,
        )

    def _track(self, journey: str, region: str, channel: Literal["online", "pos"], **fields: Any) -> str:
        record = PendingReversal(
            id=uuid.uuid4().hex, journey=journey, region=region, channel=channel, created_at=time.time(), **fields
        )
        self._pending[record.id] = record
        self._owned.add(record.id)
        self._changed()
        return record.id

    def learned(self, record_id: str, authorization_id: str) -> None:
        """The online authorization's id is known: the card data is no longer needed."""
        record = self._pending.get(record_id)
        if record is not None:
            self._pending[record_id] = record.model_copy(
                update={"authorization_id": authorization_id, "replay_body": None}
            )
            self._changed()

    def heard_back(self, record_id: str) -> None:
        """The POS host answered (or visibly dropped) the authorization: it was decided by then."""
        record = self._pending.get(record_id)
        if record is not None and record.settle_until is not None:
            self._pending[record_id] = record.model_copy(update={"settle_until": None})
            self._persist()

    def resolve(self, record_id: str) -> None:
        """Nothing is held any more (reversed, or a definitive answer said nothing was held)."""
        self._owned.discard(record_id)
        self._due.pop(record_id, None)
        if self._pending.pop(record_id, None) is not None:
            self._changed()

    def release(self, record_ids: Sequence[str]) -> None:
        """A journey run ended: whatever it tracked and did not resolve goes to the retry loop."""
        handed = False
        for record_id in record_ids:
            if record_id in self._owned:
                self._owned.discard(record_id)
                self._due.setdefault(record_id, 0.0)
                handed = True
        if handed:
            self._wakeup.set()

    def _changed(self) -> None:
        self._persist()
        counts = Counter((r.journey, r.region) for r in self._pending.values())
        for key in set(counts) | {k for k, v in self._reported.items() if v}:
            if counts[key] != self._reported[key]:
                for sink in self._sinks:
                    try:
                        sink.set_open_holds(key[0], key[1], counts[key])
                    except Exception:
                        log.exception("result sink %s failed on set_open_holds", type(sink).__name__)
                self._reported[key] = counts[key]

    def _persist(self) -> None:
        try:
            self._file.write(_State(pending=list(self._pending.values())).model_dump_json(indent=1))
        except OSError as exc:
            # A full or read-only disk must not stop reversals: the records stay in memory, and
            # the next change writes them all. Logged once per outage, not once per change.
            if not self._write_failing:
                log.error("cannot write %s (%s): pending reversals kept in memory only", self.path, exc.strerror)
            self._write_failing = True
            return
        if self._write_failing:
            log.warning("%s written again", self.path)
            self._write_failing = False

    # -- reversing ---------------------------------------------------------------------------

    async def reverse_online(self, record_id: str, http: CardApiClient) -> HttpAnswer[ReversalAnswer] | None:
        """One attempt at an online reversal over ``http``; ``None`` if nothing was left to reverse."""
        record = self._pending.get(record_id)
        if record is None:
            return None
        if record.authorization_id is None:
            replay: HttpAnswer[AuthorizationAnswer] = await http.call(
                "POST",
                "/v1/authorizations",
                AuthorizationAnswer,
                json=record.replay_body,
                idempotency_key=record.idempotency_key,
            )
            if (replay.body is not None and not replay.body.approved) or refused_outright(replay.status):
                self.resolve(record_id)  # a decline or a refusal: no hold
                return None
            if replay.body is None:
                self._failed(record_id, replay.reason)
                return HttpAnswer(False, replay.reason, replay.status, None, None, replay.phases, replay.detail)
            self.learned(record_id, replay.body.authorization_id)
            record = self._pending[record_id]
        answer = await http.call(
            "POST", f"/v1/authorizations/{record.authorization_id}/reversal", ReversalAnswer, json={}
        )
        if answer.ok or answer.status == 404:
            # 404: the card API never made this authorization, so it holds nothing.
            self.resolve(record_id)
        else:
            self._failed(record_id, answer.reason)
        return answer

    async def reverse_pos(self, record_id: str, iso: PosTerminalClient) -> IsoAnswer | None:
        """One attempt at a POS reversal (0400 with field 90) over ``iso``."""
        record = self._pending.get(record_id)
        if record is None:
            return None
        assert record.terminal_id and record.merchant_id and record.stan and record.field7 and record.currency
        card = self._config.region(record.region).pos_card
        request = reversal_message(
            record.terminal_id,
            record.merchant_id,
            card.pan.get_secret_value(),
            record.amount or 0,
            record.currency,
            record.stan,
            record.field7,
        )
        answer = await iso.exchange(request)
        unsettled = (record.settle_until or 0.0) - time.time()
        if answer.ok and unsettled > 0:
            # Released nothing yet, perhaps: the original may still be decided. Repeat later.
            self._due[record_id] = time.monotonic() + unsettled
        elif answer.ok:
            self.resolve(record_id)
        else:
            self._failed(record_id, answer.reason)
        return answer

    def _failed(self, record_id: str, reason: Reason) -> None:
        record = self._pending.get(record_id)
        if record is None:
            return
        record = record.model_copy(update={"attempts": record.attempts + 1, "last_reason": reason.value})
        self._pending[record_id] = record
        probe = self._config.probe
        delay = min(probe.reversal_backoff_initial_s * 2 ** (record.attempts - 1), probe.reversal_backoff_max_s)
        self._due[record_id] = time.monotonic() + self._config.scaled(delay)
        self._persist()

    async def attempt(self, record_id: str, timeout_s: float) -> bool:
        """One attempt on a fresh connection, bounded by ``timeout_s``; True when resolved."""
        record = self._pending.get(record_id)
        if record is None:
            return True
        try:
            async with asyncio.timeout(timeout_s):
                if record.channel == "online":
                    async with CardApiClient(self._config.targets.card_api, record.region) as http:
                        await self.reverse_online(record_id, http)
                else:
                    async with PosTerminalClient(self._config.targets.pos_host) as iso:
                        await self.reverse_pos(record_id, iso)
        except TimeoutError:
            self._failed(record_id, Reason.TIMEOUT)
        except Exception as exc:
            # A record this process cannot act on (its region left the configuration, say) stays
            # pending and counted, so a person sees it; it must not stop the other reversals.
            log.error("reversal of a %s authorization of %s failed: %s", record.channel, record.journey, exc)
            self._failed(record_id, Reason.OTHER)
        done = record_id not in self._pending
        if done:
            log.info("reversed %s authorization of %s in %s", record.channel, record.journey, record.region)
        return done

    def _ready(self, now: float) -> list[str]:
        return [rid for rid in self._pending if rid not in self._owned and self._due.get(rid, 0.0) <= now]

    async def drain(self, timeout_s: float, attempt_timeout_s: float = 2.0) -> int:
        """Attempt every released record now, retrying until none is left or ``timeout_s`` passes
        (used at shutdown and after ``--once``); returns how many are still pending."""
        deadline = time.monotonic() + timeout_s
        ready = [rid for rid in self._pending if rid not in self._owned]  # first pass: all, now
        while True:
            budget = deadline - time.monotonic()
            if budget <= 0:
                return len(self._pending)
            if ready:
                await asyncio.gather(*(self.attempt(rid, min(attempt_timeout_s, budget)) for rid in ready))
            waiting = [self._due.get(rid, 0.0) for rid in self._pending if rid not in self._owned]
            if not waiting:
                return len(self._pending)
            pause = min(min(waiting) - time.monotonic(), deadline - time.monotonic())
            if pause > 0:
                await asyncio.sleep(pause)
            ready = self._ready(time.monotonic())

    async def run(self, stop: asyncio.Event, attempt_timeout_s: float = 5.0, adopt_every_s: float = 60.0) -> None:
        """Retry released records with backoff until ``stop`` is set; now and then adopt orphans
        (a ``--once`` run next to us may have left some)."""
        next_adoption = time.monotonic() + adopt_every_s
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_adoption:
                next_adoption = now + adopt_every_s
                try:
                    self.adopt_orphans()
                except OSError as exc:
                    # The state directory went away or turned unreadable: keep reversing what we hold.
                    log.error("cannot adopt leftover pending reversals: %s", exc)
            ready = self._ready(now)
            if ready:
                await asyncio.gather(*(self.attempt(rid, attempt_timeout_s) for rid in ready))
                continue
            waiting = [self._due.get(rid, 0.0) for rid in self._pending if rid not in self._owned]
            sleep_for = max(min([*waiting, next_adoption]) - now, 0.01)
            self._wakeup.clear()
            stopper = asyncio.ensure_future(stop.wait())
            waker = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait({stopper, waker}, timeout=sleep_for, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                waker.cancel()
