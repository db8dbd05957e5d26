"""The failure taxonomy: every authorization ends in one ``Outcome`` and one ``Reason``.

The reason set is closed and small because it is a metric label. This module is the only place
that maps ISO 8583 field 39 codes, HTTP statuses and client-side errors onto it.

Table of ISO 8583 field 39 codes (``ISO_RESPONSE_CODES``):

====  ===========================  ========
code  reason                       outcome
====  ===========================  ========
00    approved                     approved
01    refer_to_issuer              declined
03    invalid_merchant             declined
04    pick_up_card                 declined
05    do_not_honor                 declined
12    invalid_transaction          declined
13    invalid_amount               declined
14    invalid_card                 declined
30    format_error                 failed
41    lost_or_stolen               declined
43    lost_or_stolen               declined
51    insufficient_funds           declined
54    expired_card                 declined
55    pin_error                    declined
57    not_permitted                declined
58    not_permitted                declined
59    suspected_fraud              declined
61    limit_exceeded               declined
62    restricted_card              declined
65    limit_exceeded               declined
68    late_response                failed
75    pin_error                    declined
91    issuer_unavailable           failed
92    routing_error                failed
94    duplicate_transmission       failed
96    system_malfunction           failed
====  ===========================  ========

Any other code maps to ``unknown_response_code`` (failed): a code nobody documented is an
interface problem between systems until someone adds it to the table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "FAILED_REASONS",
    "ISO_RESPONSE_CODES",
    "REASON_OUTCOME",
    "Classification",
    "ClientError",
    "Outcome",
    "Reason",
    "bounded_reason",
    "classify_client_error",
    "classify_http_status",
    "classify_iso_code",
]


class Outcome(StrEnum):
    """How an authorization ended. Availability SLOs count ``FAILED`` only."""

    APPROVED = "approved"
    DECLINED = "declined"
    FAILED = "failed"


class Reason(StrEnum):
    """Why an authorization (or a probe step) ended the way it did. A closed set."""

    APPROVED = "approved"
    # business declines: decisions, not system failures
    REFER_TO_ISSUER = "refer_to_issuer"
    INVALID_MERCHANT = "invalid_merchant"
    PICK_UP_CARD = "pick_up_card"
    DO_NOT_HONOR = "do_not_honor"
    INVALID_TRANSACTION = "invalid_transaction"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_CARD = "invalid_card"
    LOST_OR_STOLEN = "lost_or_stolen"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    PIN_ERROR = "pin_error"
    NOT_PERMITTED = "not_permitted"
    SUSPECTED_FRAUD = "suspected_fraud"
    LIMIT_EXCEEDED = "limit_exceeded"
    RESTRICTED_CARD = "restricted_card"
    # technical failures reported by the other side
    FORMAT_ERROR = "format_error"
    LATE_RESPONSE = "late_response"
    ISSUER_UNAVAILABLE = "issuer_unavailable"
    ROUTING_ERROR = "routing_error"
    DUPLICATE_TRANSMISSION = "duplicate_transmission"
    SYSTEM_MALFUNCTION = "system_malfunction"
    UNKNOWN_RESPONSE_CODE = "unknown_response_code"
    HTTP_5XX = "http_5xx"
    HTTP_4XX = "http_4xx"
    RATE_LIMITED = "rate_limited"
    # technical failures seen by the client
    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    INTERFACE_ERROR = "interface_error"
    # probe-only: the journey's own verification failed (e.g. ledger not restored)
    CHECK_FAILED = "check_failed"
    # cardinality guard: anything outside the set
    OTHER = "other"


_D, _F, _A = Outcome.DECLINED, Outcome.FAILED, Outcome.APPROVED

REASON_OUTCOME: dict[Reason, Outcome] = {
    Reason.APPROVED: _A,
    **{
        r: _D
        for r in (
            Reason.REFER_TO_ISSUER,
            Reason.INVALID_MERCHANT,
            Reason.PICK_UP_CARD,
            Reason.DO_NOT_HONOR,
            Reason.INVALID_TRANSACTION,
            Reason.INVALID_AMOUNT,
            Reason.INVALID_CARD,
            Reason.LOST_OR_STOLEN,
            Reason.INSUFFICIENT_FUNDS,
            Reason.EXPIRED_CARD,
            Reason.PIN_ERROR,
            Reason.NOT_PERMITTED,
            Reason.SUSPECTED_FRAUD,
            Reason.LIMIT_EXCEEDED,
            Reason.RESTRICTED_CARD,
        )
    },
    **{
        r: _F
        for r in (
            Reason.FORMAT_ERROR,
            Reason.LATE_RESPONSE,
            Reason.ISSUER_UNAVAILABLE,
            Reason.ROUTING_ERROR,
            Reason.DUPLICATE_TRANSMISSION,
            Reason.SYSTEM_MALFUNCTION,
            Reason.UNKNOWN_RESPONSE_CODE,
            Reason.HTTP_5XX,
            Reason.HTTP_4XX,
            Reason.RATE_LIMITED,
            Reason.TIMEOUT,
            Reason.CONNECTION_REFUSED,
            Reason.CONNECTION_RESET,
            Reason.DNS_ERROR,
            Reason.TLS_ERROR,
            Reason.INTERFACE_ERROR,
            Reason.CHECK_FAILED,
            Reason.OTHER,
        )
    },
}

FAILED_REASONS: frozenset[Reason] = frozenset(r for r, o in REASON_OUTCOME.items() if o is _F)

ISO_RESPONSE_CODES: dict[str, Reason] = {
    "00": Reason.APPROVED,
    "01": Reason.REFER_TO_ISSUER,
    "03": Reason.INVALID_MERCHANT,
    "04": Reason.PICK_UP_CARD,
    "05": Reason.DO_NOT_HONOR,
    "12": Reason.INVALID_TRANSACTION,
    "13": Reason.INVALID_AMOUNT,
    "14": Reason.INVALID_CARD,
    "30": Reason.FORMAT_ERROR,
    "41": Reason.LOST_OR_STOLEN,
    "43": Reason.LOST_OR_STOLEN,
    "51": Reason.INSUFFICIENT_FUNDS,
    "54": Reason.EXPIRED_CARD,
    "55": Reason.PIN_ERROR,
    "57": Reason.NOT_PERMITTED,
    "58": Reason.NOT_PERMITTED,
    "59": Reason.SUSPECTED_FRAUD,
    "61": Reason.LIMIT_EXCEEDED,
    "62": Reason.RESTRICTED_CARD,
    "65": Reason.LIMIT_EXCEEDED,
    "68": Reason.LATE_RESPONSE,
    "75": Reason.PIN_ERROR,
    "91": Reason.ISSUER_UNAVAILABLE,
    "92": Reason.ROUTING_ERROR,
    "94": Reason.DUPLICATE_TRANSMISSION,
    "96": Reason.SYSTEM_MALFUNCTION,
}


class ClientError(StrEnum):
    """Failures the client sees before any answer is understood."""

    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    DNS = "dns"
    TLS = "tls"
    UNPARSEABLE = "unparseable"
    SCHEMA = "schema"


_CLIENT_ERROR_REASON: dict[ClientError, Reason] = {
    ClientError.TIMEOUT: Reason.TIMEOUT,
    ClientError.CONNECTION_REFUSED: Reason.CONNECTION_REFUSED,
    ClientError.CONNECTION_RESET: Reason.CONNECTION_RESET,
    ClientError.DNS: Reason.DNS_ERROR,
    ClientError.TLS: Reason.TLS_ERROR,
    ClientError.UNPARSEABLE: Reason.INTERFACE_ERROR,
    ClientError.SCHEMA: Reason.INTERFACE_ERROR,
}


class Classification(NamedTuple):
    outcome: Outcome
    reason: Reason


def _of(reason: Reason) -> Classification:
    return Classification(REASON_OUTCOME[reason], reason)


def classify_iso_code(code: str | None) -> Classification:
    """Field 39 to (outcome, reason). Unknown, empty or missing codes never raise."""
    if code is None:
        return _of(Reason.INTERFACE_ERROR)
    return _of(ISO_RESPONSE_CODES.get(code.strip().upper(), Reason.UNKNOWN_RESPONSE_CODE))


def classify_http_status(status: int) -> Classification:
    """An HTTP status to (outcome, reason); 2xx is approved at the transport level."""
    if 200 <= status < 300:
        return _of(Reason.APPROVED)
    if status == 429:
        return _of(Reason.RATE_LIMITED)
    if 500 <= status < 600:
        return _of(Reason.HTTP_5XX)
    if 400 <= status < 500:
        return _of(Reason.HTTP_4XX)
    return _of(Reason.INTERFACE_ERROR)


def classify_client_error(error: ClientError) -> Classification:
    return _of(_CLIENT_ERROR_REASON[error])


def bounded_reason(value: object) -> Reason:
    """The cardinality guard: any value outside the closed set becomes ``Reason.OTHER``."""
    if isinstance(value, Reason):
        return value
    try:
        return Reason(str(value))
    except ValueError:
        return Reason.OTHER
