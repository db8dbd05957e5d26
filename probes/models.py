"""Pydantic models of the card API answers the probes rely on (sandbox/PROTOCOL.md).

Extra fields are ignored (an API may grow), missing or mistyped ones are a schema break.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ActivatedCard",
    "AuthorizationAnswer",
    "ClosedCard",
    "CreditLine",
    "Funding",
    "IssuedCard",
    "ReversalAnswer",
]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IssuedCard(_Answer):
    card_id: str
    pan: str
    expiry: str
    cvv: str
    status: str
    credit_line_id: str
    pan_masked: str

    def __repr__(self) -> str:
        # The one answer holding card data: keep it out of any repr that might reach a log.
        return f"IssuedCard(card_id={self.card_id!r}, pan_masked={self.pan_masked!r})"

    __str__ = __repr__


class ActivatedCard(_Answer):
    card_id: str
    status: str


class ClosedCard(_Answer):
    card_id: str
    status: str


class Funding(_Answer):
    card_id: str
    credit_line_id: str
    bound: bool
    available: int
    can_fund: bool


class AuthorizationAnswer(_Answer):
    authorization_id: str
    approved: bool
    response_code: str
    reason: str
    available: int | None = None


class ReversalAnswer(_Answer):
    authorization_id: str
    status: str
    available: int | None = None


class CreditLine(_Answer):
    credit_line_id: str
    limit: int
    available: int
    held: int
    open_holds: int
