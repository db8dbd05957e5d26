"""The sandbox's starting books, from the configuration and a deterministic seed.

Synthetic credit lines and POS cards for every region; production credit lines and cards
(healthy, nearly exhausted, expired) for the organic traffic generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from paywatch.config import PaywatchConfig
from sandbox.ledger import Card, CardStatus, Ledger

__all__ = ["SYNTHETIC_LIMIT", "Portfolio", "seed_ledger"]

SYNTHETIC_LIMIT = 1_000_000
PRODUCTION_LINES = 24
LOW_LINES = 3
"""Production credit lines with a tiny limit: where organic insufficient-funds declines come from."""
EXPIRED_CARDS = 3


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Production cards the traffic generator spends with."""

    healthy: tuple[Card, ...]
    exhausted: tuple[Card, ...]
    expired: tuple[Card, ...]

    @property
    def credit_line_ids(self) -> tuple[str, ...]:
        return tuple(sorted({c.credit_line_id for c in self.healthy + self.exhausted + self.expired}))


def seed_ledger(ledger: Ledger, config: PaywatchConfig, rng: random.Random) -> Portfolio:
    for region in config.regions:
        for line_id in (region.online_credit_line_id, region.pos_card.credit_line_id):
            if ledger.credit_line(line_id) is None:
                ledger.add_credit_line(line_id, SYNTHETIC_LIMIT)
        ledger.issue_card(
            region.pos_card.credit_line_id,
            pan=region.pos_card.pan.get_secret_value(),
            expiry=region.pos_card.expiry.get_secret_value(),
            status=CardStatus.ACTIVE,
        )
    for terminal in config.sandbox_terminals():
        ledger.merchants[terminal.merchant_id] = True

    healthy: list[Card] = []
    exhausted: list[Card] = []
    expired: list[Card] = []
    for index in range(PRODUCTION_LINES + LOW_LINES):
        low = index >= PRODUCTION_LINES
        line = ledger.add_credit_line(f"CL-PRD-{index + 1:04d}", 2_000 if low else rng.randrange(20, 200) * 10_000)
        for _ in range(2):
            card = ledger.issue_card(line.id, status=CardStatus.ACTIVE)
            (exhausted if low else healthy).append(card)
    for index in range(EXPIRED_CARDS):
        expiry = f"{20 + index:02d}{rng.randrange(1, 13):02d}"
        expired.append(ledger.issue_card(healthy[index].credit_line_id, expiry=expiry, status=CardStatus.ACTIVE))
    return Portfolio(tuple(healthy), tuple(exhausted), tuple(expired))
