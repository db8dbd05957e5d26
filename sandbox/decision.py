"""The authorization decision both fronts share: risk, then issuer, then the credit line's hold.

Inner-component faults (``risk``, ``issuer``, ``credit_line``) act here, so online and POS
traffic go through the same code path; the fronts only carry answers in and out.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from paywatch.cards import mask_pan, redact_pans
from paywatch.config import SandboxTerminal
from paywatch.taxonomy import Outcome, Reason, classify_iso_code
from sandbox.eventlog import EventLog
from sandbox.faults import LOST_ANSWER_EFFECTS, ActiveFault, Channel, Effect, FaultRegistry, Target
from sandbox.ledger import Authorization, AuthStatus, Card, CardStatus, CreditLine, Ledger, source_of

__all__ = [
    "CURRENCY",
    "RISK_LIMIT",
    "AuthRequest",
    "Balance",
    "Decision",
    "DecisionEngine",
    "Step",
]

CURRENCY = "156"
RISK_LIMIT = 500_000
"""Amounts above this (fen) are declined by the risk engine as suspected fraud (59)."""
PRODUCTION_FAILURE_RATE = 0.0002
"""The issuer's background rate of 91 answers on production traffic: real systems are never perfect,
so organic traffic shows rare technical failures even without injected faults. At 0.02% it burns a
99.9% availability budget at 0.2x: visible on dashboards, never an alert by itself."""


@dataclass(slots=True)
class Step:
    """What a faulted component call did: refused with a fault (decline/error), or its answer is lost."""

    refused: ActiveFault | None = None
    lost: Effect | None = None

    @property
    def refused_code(self) -> str | None:
        if self.refused is None:
            return None
        return self.refused.spec.code if self.refused.spec.effect is Effect.DECLINE else "96"


@dataclass(frozen=True, slots=True)
class AuthRequest:
    channel: Channel
    pan: str
    expiry: str
    amount: int
    currency: str
    merchant_id: str
    region: str | None = None
    cvv: str | None = None
    terminal_id: str | None = None
    pos_key: tuple[str, str, str, str] | None = None
    """(terminal, STAN, field 7, PAN): what a POS reversal's fields 41, 90 and 2 name."""


@dataclass(frozen=True, slots=True)
class Decision:
    authorization: Authorization
    outcome: Outcome
    reason: Reason
    available: int | None
    lost: Effect | None = None
    """Set when a component's timeout/reset/malformed fault means the front must lose the answer."""
    front_error: bool = False
    """The front itself failed (HTTP 503 rather than a 200 carrying 96)."""

    @property
    def approved(self) -> bool:
        return self.authorization.response_code == "00"


@dataclass(frozen=True, slots=True)
class Balance:
    response_code: str
    available: int | None
    lost: Effect | None = None


def _current_yymm() -> str:
    return datetime.now(UTC).strftime("%y%m")


class DecisionEngine:
    def __init__(
        self,
        ledger: Ledger,
        faults: FaultRegistry,
        events: EventLog,
        terminals: dict[str, SandboxTerminal],
        rng: random.Random,
        issuer_latency: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.ledger = ledger
        self._issuer_median_s, self._issuer_sigma = issuer_latency[0] / 1000, issuer_latency[1]
        self.faults = faults
        self.events = events
        self.terminals = terminals
        self._rng = rng

    async def component(self, target: Target, channel: Channel, region: str | None) -> Step:
        """One call of an inner component: latency is slept here, other effects are reported."""
        step = Step()
        await self._call(target, channel, region, step)
        return step

    async def _call(self, target: Target, channel: Channel, region: str | None, step: Step) -> None:
        fault = self.faults.pick(target, channel, region)
        if fault is None:
            return
        effect = fault.spec.effect
        if effect is Effect.LATENCY:
            await asyncio.sleep(fault.spec.latency_s)
        elif effect in LOST_ANSWER_EFFECTS:
            # the call completes, its answer is lost on the way back (PROTOCOL.md)
            step.lost = step.lost or effect
        elif step.refused is None:
            step.refused = fault

    async def _issuer_think(self) -> None:
        """The issuer's own decision time, so latency histograms look like a real system's."""
        if self._issuer_median_s > 0:
            delay = self._issuer_median_s * math.exp(self._rng.gauss(0.0, self._issuer_sigma))
            await asyncio.sleep(min(delay, 2.0))

    # authorization

    async def authorize(self, request: AuthRequest, front: ActiveFault | None = None) -> Decision:
        """Decide, place the hold when approved, log the decision. Never raises for bad card data."""
        received = time.perf_counter()
        card = self.ledger.card_by_pan(request.pan)
        line = self.ledger.credit_line(card.credit_line_id) if card else None
        step = Step()
        code = await self._decide(request, front, card, line, step)
        if code == "00" and line is not None:
            self.ledger.hold(line, request.amount)
        region = request.region
        if region is None and request.terminal_id in self.terminals:
            region = self.terminals[request.terminal_id].region
        authorization = Authorization(
            authorization_id=self.ledger.next_authorization_id(),
            channel=request.channel.value,
            source=source_of(card.credit_line_id if card else None),
            amount=request.amount,
            currency=request.currency,
            # the caller chose this text: a card number in it must not reach the event log
            merchant_id=redact_pans(request.merchant_id),
            response_code=code,
            status=AuthStatus.APPROVED if code == "00" else AuthStatus.DECLINED,
            pan_masked=card.pan_masked if card else mask_pan(request.pan),
            region=region,
            terminal_id=request.terminal_id,
            card_id=card.card_id if card else None,
            credit_line_id=line.id if line else None,
            rrn=self.ledger.next_rrn(),
            auth_code=self.ledger.auth_code() if code == "00" else None,
        )
        self.ledger.record(authorization, pos_key=request.pos_key)
        outcome, reason = classify_iso_code(code)
        self.events.authorization(
            authorization,
            reason=reason.value,
            outcome=outcome.value,
            latency_ms=(time.perf_counter() - received) * 1000,
        )
        front_error = front is not None and front.spec.effect is Effect.ERROR
        return Decision(
            authorization=authorization,
            outcome=outcome,
            reason=reason,
            available=line.available if line else None,
            lost=step.lost,
            front_error=front_error,
        )

    async def _decide(
        self, request: AuthRequest, front: ActiveFault | None, card: Card | None, line: CreditLine | None, step: Step
    ) -> str:
        if front is not None:
            return front.spec.code if front.spec.effect is Effect.DECLINE else "96"
        channel, region = request.channel, request.region or self._terminal_region(request.terminal_id)
        await self._call(Target.RISK, channel, region, step)
        if step.refused_code:
            return step.refused_code
        if request.amount > RISK_LIMIT:
            return "59"
        await self._call(Target.ISSUER, channel, region, step)
        if step.refused_code:
            return step.refused_code
        await self._issuer_think()
        refusal = self._issuer_checks(request, card, balance=False)
        if refusal:
            return refusal
        if line is not None and line.source == "production" and self._rng.random() < PRODUCTION_FAILURE_RATE:
            return "91"
        await self._call(Target.CREDIT_LINE, channel, region, step)
        if step.refused_code:
            return step.refused_code
        if line is None or card is None or not card.bound:
            return "57"
        # no await between this check and the hold: the loop cannot interleave an overdraft
        if line.available < request.amount:
            return "51"
        return "00"

    def _terminal_region(self, terminal_id: str | None) -> str | None:
        terminal = self.terminals.get(terminal_id or "")
        return terminal.region if terminal else None

    def _issuer_checks(self, request: AuthRequest, card: Card | None, *, balance: bool) -> str | None:
        """Business declines, in the order an issuer host would find them."""
        if request.channel is Channel.POS:
            terminal = self.terminals.get(request.terminal_id or "")
            if terminal is None or not self.ledger.merchants.get(terminal.merchant_id, True):
                return "58"
            if terminal.merchant_id != request.merchant_id:
                return "03"
            if not terminal.credit_line:
                return "57"
        elif not self.ledger.merchants.get(request.merchant_id, True):
            return "58"
        if request.currency != CURRENCY:
            return "12"
        if request.amount <= 0 and not balance:
            return "13"
        if card is None or card.status is CardStatus.CLOSED:
            return "14"
        if request.expiry != card.expiry:
            return "14"
        if card.expiry < _current_yymm():
            return "54"
        if request.cvv is not None and request.cvv != card.cvv:
            return "14"
        if card.status is not CardStatus.ACTIVE:
            return "62"
        return None

    # balance inquiry and reversal

    async def balance(self, request: AuthRequest, front: ActiveFault | None = None) -> Balance:
        if front is not None:
            return Balance(front.spec.code if front.spec.effect is Effect.DECLINE else "96", None)
        card = self.ledger.card_by_pan(request.pan)
        line = self.ledger.credit_line(card.credit_line_id) if card else None
        channel, region = request.channel, request.region or self._terminal_region(request.terminal_id)
        step = Step()
        await self._call(Target.ISSUER, channel, region, step)
        code = step.refused_code or self._issuer_checks(request, card, balance=True)
        if code is None:
            await self._call(Target.CREDIT_LINE, channel, region, step)
            code = step.refused_code or ("00" if line is not None else "57")
        return Balance(code, line.available if line is not None and code == "00" else None, step.lost)

    async def reverse(self, authorization: Authorization, channel: Channel, region: str | None) -> Step:
        """Release the hold through the ``credit_line`` component; already released is fine (idempotent)."""
        step = await self.component(Target.CREDIT_LINE, channel, region)
        if step.refused is None:
            self.ledger.release(authorization)
        return step
