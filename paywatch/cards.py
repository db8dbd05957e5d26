"""Card-number helpers: Luhn check digits, masking, and a scanner for leaked PANs.

A full PAN, CVV or expiry never leaves the process that needs it; ``mask_pan`` (first six,
last four) is the most any log, metric, trace, report or message may show.
"""

from __future__ import annotations

import re

__all__ = ["find_pans", "luhn_check_digit", "luhn_valid", "mask_pan", "redact_pans"]

_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or len(number) < 2:
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def mask_pan(pan: str) -> str:
    """``622999******1234``; short or non-numeric input is masked whole."""
    digits = pan.strip()
    if len(digits) < 13 or not digits.isdigit():
        return "*" * len(digits)
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def find_pans(text: str) -> list[str]:
    """Luhn-valid runs of 13-19 digits in ``text``: what a leak scanner flags."""
    return [m for m in _DIGIT_RUN.findall(text) if luhn_valid(m)]


def redact_pans(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit run masked, for error messages of libraries."""
    return _DIGIT_RUN.sub(lambda m: mask_pan(m.group()) if luhn_valid(m.group()) else m.group(), text)
