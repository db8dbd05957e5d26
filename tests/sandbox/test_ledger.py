"""The ledger and its seeding: Luhn-valid test-BIN cards, holds, bounded memory, deterministic seed."""

from __future__ import annotations

import random

import pytest

from paywatch.cards import luhn_valid
from paywatch.config import SANDBOX_TEST_BIN, default_config
from sandbox.ledger import Authorization, AuthStatus, Ledger
from sandbox.seed import SYNTHETIC_LIMIT, seed_ledger


def _approved(ledger: Ledger, line_id: str, amount: int = 100) -> Authorization:
    line = ledger.credit_lines[line_id]
    ledger.hold(line, amount)
    authorization = Authorization(
        authorization_id=ledger.next_authorization_id(),
        channel="online",
        source=line.source,
        amount=amount,
        currency="156",
        merchant_id="M1",
        response_code="00",
        status=AuthStatus.APPROVED,
        pan_masked="622999******0000",
        credit_line_id=line_id,
    )
    ledger.record(authorization)
    return authorization


def test_issued_cards_are_luhn_valid_unique_and_in_the_test_bin() -> None:
    ledger = Ledger(random.Random(1))
    ledger.add_credit_line("CL-SYN-X", 1000)
    pans = [ledger.issue_card("CL-SYN-X").pan for _ in range(500)]
    assert all(pan.startswith(SANDBOX_TEST_BIN) and len(pan) == 16 and luhn_valid(pan) for pan in pans)
    assert len(set(pans)) == 500


def test_card_repr_shows_no_card_data() -> None:
    ledger = Ledger(random.Random(1))
    card = ledger.issue_card("CL-SYN-X")
    assert repr(card) == f"Card({card.card_id}, {card.pan_masked}, inactive)"
    assert card.pan not in repr(card)


@pytest.mark.parametrize("settle", ["release", "capture"], ids=["reversal", "capture"])
def test_settling_twice_changes_nothing_the_second_time(settle: str) -> None:
    ledger = Ledger(random.Random(1))
    line = ledger.add_credit_line("CL-SYN-X", 1000)
    authorization = _approved(ledger, "CL-SYN-X", 300)
    assert getattr(ledger, settle)(authorization) is True
    assert getattr(ledger, settle)(authorization) is False
    assert (line.held, line.open_holds) == (0, 0)
    assert line.available == (1000 if settle == "release" else 700)


def test_open_holds_by_source() -> None:
    ledger = Ledger(random.Random(1))
    ledger.add_credit_line("CL-SYN-X", 1000)
    ledger.add_credit_line("CL-PRD-1", 1000)
    _approved(ledger, "CL-SYN-X")
    _approved(ledger, "CL-PRD-1")
    _approved(ledger, "CL-PRD-1")
    assert ledger.open_holds_by_source() == {"synthetic": 1, "production": 2}


def test_long_runs_forget_settled_authorizations_but_keep_open_holds() -> None:
    ledger = Ledger(random.Random(1), capacity=100)
    ledger.add_credit_line("CL-SYN-X", 10**9)
    kept_open = _approved(ledger, "CL-SYN-X")
    for _ in range(300):
        ledger.release(_approved(ledger, "CL-SYN-X"))
    assert len(ledger.authorizations) <= 110
    assert ledger.authorization(kept_open.authorization_id) is kept_open
    assert ledger.summary()["open_holds"] == 1


def test_seed_is_deterministic_and_covers_every_region() -> None:
    config = default_config()
    first, second = Ledger(random.Random(5)), Ledger(random.Random(5))
    portfolio = seed_ledger(first, config, random.Random(6))
    seed_ledger(second, config, random.Random(6))
    assert [c.pan for c in first.cards.values()] == [c.pan for c in second.cards.values()]
    for region in config.regions:
        assert first.credit_lines[region.online_credit_line_id].limit == SYNTHETIC_LIMIT
        pos_card = first.card_by_pan(region.pos_card.pan.get_secret_value())
        assert pos_card is not None and pos_card.status == "active"
        assert pos_card.credit_line_id == region.pos_card.credit_line_id
    assert portfolio.healthy and portfolio.exhausted and portfolio.expired
    assert all(first.credit_lines[c.credit_line_id].source == "production" for c in portfolio.healthy)
