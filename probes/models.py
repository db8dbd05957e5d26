"""Pydantic models of the card API answers the probes rely on (sandbox/PROTOCOL.md).

Extra fields are ignored (an API may grow), missing or mistyped ones are a schema break.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActivatedCard",
    "AuthorizationAnswer",
    "ClosedCard",
    "CreditLine",
    "Funding",
    "IssuedCard",
    "ResponseCode",
    "ReversalAnswer",
]


ResponseCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{2}$")]
"""An ISO 8583 field 39 code: two characters. Anything else (say, a card number) is a schema break,
and never travels on into results, spans or metrics."""


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
    response_code: ResponseCode
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
