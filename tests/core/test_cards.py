"""Card-number helpers: Luhn, masking, leak scanning."""

from __future__ import annotations

import pytest

from paywatch.cards import find_pans, luhn_check_digit, luhn_valid, mask_pan, redact_pans


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("", False), ("12a4", False)],
    ids=["visa-test", "bad-check", "classic", "empty", "non-digit"],
)
def test_luhn_valid(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


def test_check_digit_makes_valid() -> None:
    for partial in ("622999900000001", "411111111111111", "5500000000000"):
        assert luhn_valid(partial + luhn_check_digit(partial))


@pytest.mark.parametrize(
    ("pan", "masked"),
    [("6229999000000014", "622999******0014"), ("4111111111111", "411111***1111"), ("1234", "****")],
    ids=["16", "13", "short"],
)
def test_mask_pan_shows_six_and_four_at_most(pan: str, masked: str) -> None:
    assert mask_pan(pan) == masked


def test_find_pans_flags_only_luhn_valid_runs() -> None:
    text = "pan=4111111111111111 id=4111111111111112 ts=17650000000000000000000 ok"
    assert find_pans(text) == ["4111111111111111"]


def test_redact_pans() -> None:
    assert redact_pans("card 4111111111111111 declined") == "card 411111******1111 declined"
