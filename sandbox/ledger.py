"""The sandbox's books: credit lines, virtual cards, merchants, authorizations and their holds.

In-memory state owned by one event loop; amounts are integers in fen. No faults act here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from paywatch.cards import luhn_check_digit, mask_pan
from paywatch.config import SANDBOX_TEST_BIN

__all__ = [
    "SYNTHETIC_PREFIX",
    "AuthStatus",
    "Authorization",
    "Card",
    "CardStatus",
    "CreditLine",
    "Ledger",
    "source_of",
]

SYNTHETIC_PREFIX = "CL-SYN-"
"""Credit lines whose id starts with this are synthetic: their traffic is the probes'."""


def source_of(credit_line_id: str | None) -> str:
    return "synthetic" if credit_line_id and credit_line_id.startswith(SYNTHETIC_PREFIX) else "production"


class CardStatus(StrEnum):
    INACTIVE = "inactive"
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class AuthStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    REVERSED = "reversed"
    CAPTURED = "captured"


@dataclass(slots=True)
class CreditLine:
    id: str
    limit: int
    held: int = 0
    used: int = 0
    """Captured amounts not yet repaid."""
    open_holds: int = 0

    @property
    def available(self) -> int:
        return self.limit - self.held - self.used

    @property
    def source(self) -> str:
        return source_of(self.id)

    def as_dict(self) -> dict[str, object]:
        return {
            "credit_line_id": self.id,
            "limit": self.limit,
            "available": self.available,
            "held": self.held,
            "open_holds": self.open_holds,
        }


@dataclass(slots=True)
class Card:
    card_id: str
    pan: str
    expiry: str
    cvv: str
    credit_line_id: str
    status: CardStatus = CardStatus.INACTIVE
    bound: bool = True

    @property
    def pan_masked(self) -> str:
        return mask_pan(self.pan)

    def __repr__(self) -> str:  # card data never reaches a log through repr
        return f"Card({self.card_id}, {self.pan_masked}, {self.status})"


@dataclass(slots=True)
class Authorization:
    authorization_id: str
    channel: str
    source: str
    amount: int
    currency: str
    merchant_id: str
    response_code: str
    status: AuthStatus
    pan_masked: str
    region: str | None = None
    terminal_id: str | None = None
    card_id: str | None = None
    credit_line_id: str | None = None
    rrn: str = ""
    auth_code: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, object]:
        return {
            "authorization_id": self.authorization_id,
            "status": self.status.value,
            "approved": self.response_code == "00",
            "response_code": self.response_code,
            "amount": self.amount,
            "currency": self.currency,
            "merchant_id": self.merchant_id,
            "channel": self.channel,
            "credit_line_id": self.credit_line_id,
            "card_id": self.card_id,
            "pan_masked": self.pan_masked,
        }


class Ledger:
    """Credit lines, cards and authorizations. Holds move only through ``hold``/``release``/``capture``."""

    def __init__(self, rng: random.Random, *, capacity: int = 200_000) -> None:
        self._rng = rng
        self._capacity = capacity
        """Authorizations kept; beyond it the oldest settled ones are forgotten (a reversal of one is a 404)."""
        self.credit_lines: dict[str, CreditLine] = {}
        self.cards: dict[str, Card] = {}
        self._cards_by_pan: dict[str, Card] = {}
        self.authorizations: dict[str, Authorization] = {}
        self.merchants: dict[str, bool] = {}
        """merchant id -> enabled. Unknown merchants are accepted online."""
        # two terminals' clocks and STAN counters may coincide: the PAN tells their messages apart
        self._pos_index: dict[tuple[str, str, str, str], str] = {}
        self._card_serial = 0
        self._auth_serial = 0
        self._rrn_serial = 0

    # credit lines and cards

    def add_credit_line(self, credit_line_id: str, limit: int) -> CreditLine:
        line = CreditLine(id=credit_line_id, limit=limit)
        self.credit_lines[credit_line_id] = line
        return line

    def credit_line(self, credit_line_id: str) -> CreditLine | None:
        return self.credit_lines.get(credit_line_id)

    def _new_pan(self) -> str:
        while True:
            partial = SANDBOX_TEST_BIN + "".join(self._rng.choice("0123456789") for _ in range(9))
            pan = partial + luhn_check_digit(partial)
            if pan not in self._cards_by_pan:
                return pan

    def issue_card(
        self,
        credit_line_id: str,
        *,
        pan: str | None = None,
        expiry: str | None = None,
        status: CardStatus = CardStatus.INACTIVE,
    ) -> Card:
        self._card_serial += 1
        if expiry is None:
            now = datetime.now(UTC)
            expiry = f"{(now.year + 3) % 100:02d}{now.month:02d}"
        card = Card(
            card_id=f"C{self._card_serial:010d}",
            pan=pan or self._new_pan(),
            expiry=expiry,
            cvv=f"{self._rng.randrange(1000):03d}",
            credit_line_id=credit_line_id,
            status=status,
        )
        self.cards[card.card_id] = card
        self._cards_by_pan[card.pan] = card
        return card

    def card(self, card_id: str) -> Card | None:
        return self.cards.get(card_id)

    def card_by_pan(self, pan: str) -> Card | None:
        return self._cards_by_pan.get(pan)

    # authorizations

    def next_authorization_id(self) -> str:
        self._auth_serial += 1
        return f"A{self._auth_serial:010d}"

    def next_rrn(self) -> str:
        self._rrn_serial += 1
        return f"{self._rrn_serial:012d}"

    def auth_code(self) -> str:
        return f"{self._rng.randrange(1_000_000):06d}"

    def record(self, authorization: Authorization, *, pos_key: tuple[str, str, str, str] | None = None) -> None:
        self.authorizations[authorization.authorization_id] = authorization
        if pos_key is not None:
            self._pos_index[pos_key] = authorization.authorization_id
        if len(self.authorizations) > self._capacity + self._capacity // 10:
            self._forget_settled()

    def _forget_settled(self) -> None:
        """Drop the oldest settled authorizations so a long run's memory stays bounded; open holds stay."""
        excess = len(self.authorizations) - self._capacity
        for authorization_id in list(self.authorizations):
            if excess <= 0:
                break
            if self.authorizations[authorization_id].status is not AuthStatus.APPROVED:
                del self.authorizations[authorization_id]
                excess -= 1
        known = self.authorizations.keys()
        self._pos_index = {key: value for key, value in self._pos_index.items() if value in known}

    def authorization(self, authorization_id: str) -> Authorization | None:
        return self.authorizations.get(authorization_id)

    def pos_authorization(self, terminal_id: str, stan: str, field7: str, pan: str) -> Authorization | None:
        found = self._pos_index.get((terminal_id, stan, field7, pan))
        return self.authorizations.get(found) if found else None

    def hold(self, line: CreditLine, amount: int) -> None:
        line.held += amount
        line.open_holds += 1

    def release(self, authorization: Authorization) -> bool:
        """Release an approved authorization's hold; False (and no change) if it holds nothing."""
        return self._settle(authorization, AuthStatus.REVERSED)

    def capture(self, authorization: Authorization) -> bool:
        """Turn an approved hold into a used amount; False if it holds nothing."""
        return self._settle(authorization, AuthStatus.CAPTURED)

    def _settle(self, authorization: Authorization, status: AuthStatus) -> bool:
        if authorization.status is not AuthStatus.APPROVED:
            return False
        line = self.credit_lines.get(authorization.credit_line_id or "")
        if line is not None:
            line.held -= authorization.amount
            line.open_holds -= 1
            if status is AuthStatus.CAPTURED:
                line.used += authorization.amount
        authorization.status = status
        return True

    def repay(self, credit_line_id: str) -> None:
        """The cardholder pays back what was captured."""
        line = self.credit_lines.get(credit_line_id)
        if line is not None:
            line.used = 0

    def open_holds_by_source(self) -> dict[str, int]:
        counts = {"synthetic": 0, "production": 0}
        for line in self.credit_lines.values():
            counts[line.source] += line.open_holds
        return counts

    def summary(self) -> dict[str, object]:
        by_source = self.open_holds_by_source()
        return {
            "open_holds": sum(by_source.values()),
            "open_holds_by_source": by_source,
            "credit_lines": len(self.credit_lines),
            "cards": len(self.cards),
            "authorizations": len(self.authorizations),
        }
