"""The failure taxonomy, code by code."""

from __future__ import annotations

import pytest

from paywatch.taxonomy import (
    FAILED_REASONS,
    ISO_RESPONSE_CODES,
    REASON_OUTCOME,
    ClientError,
    Outcome,
    Reason,
    bounded_reason,
    classify_client_error,
    classify_http_status,
    classify_iso_code,
)

ISO_TABLE = [
    ("00", Outcome.APPROVED, Reason.APPROVED),
    ("01", Outcome.DECLINED, Reason.REFER_TO_ISSUER),
    ("03", Outcome.DECLINED, Reason.INVALID_MERCHANT),
    ("04", Outcome.DECLINED, Reason.PICK_UP_CARD),
    ("05", Outcome.DECLINED, Reason.DO_NOT_HONOR),
    ("12", Outcome.DECLINED, Reason.INVALID_TRANSACTION),
    ("13", Outcome.DECLINED, Reason.INVALID_AMOUNT),
    ("14", Outcome.DECLINED, Reason.INVALID_CARD),
    ("30", Outcome.FAILED, Reason.FORMAT_ERROR),
    ("41", Outcome.DECLINED, Reason.LOST_OR_STOLEN),
    ("43", Outcome.DECLINED, Reason.LOST_OR_STOLEN),
    ("51", Outcome.DECLINED, Reason.INSUFFICIENT_FUNDS),
    ("54", Outcome.DECLINED, Reason.EXPIRED_CARD),
    ("55", Outcome.DECLINED, Reason.PIN_ERROR),
    ("57", Outcome.DECLINED, Reason.NOT_PERMITTED),
    ("58", Outcome.DECLINED, Reason.NOT_PERMITTED),
    ("59", Outcome.DECLINED, Reason.SUSPECTED_FRAUD),
    ("61", Outcome.DECLINED, Reason.LIMIT_EXCEEDED),
    ("62", Outcome.DECLINED, Reason.RESTRICTED_CARD),
    ("65", Outcome.DECLINED, Reason.LIMIT_EXCEEDED),
    ("68", Outcome.FAILED, Reason.LATE_RESPONSE),
    ("75", Outcome.DECLINED, Reason.PIN_ERROR),
    ("91", Outcome.FAILED, Reason.ISSUER_UNAVAILABLE),
    ("92", Outcome.FAILED, Reason.ROUTING_ERROR),
    ("94", Outcome.FAILED, Reason.DUPLICATE_TRANSMISSION),
    ("96", Outcome.FAILED, Reason.SYSTEM_MALFUNCTION),
]


@pytest.mark.parametrize(("code", "outcome", "reason"), ISO_TABLE, ids=[c for c, _, _ in ISO_TABLE])
def test_iso_code(code: str, outcome: Outcome, reason: Reason) -> None:
    assert classify_iso_code(code) == (outcome, reason)


def test_table_covers_every_documented_code() -> None:
    assert {c for c, _, _ in ISO_TABLE} == set(ISO_RESPONSE_CODES)


@pytest.mark.parametrize("code", ["99", "A1", "", "  ", "0", "000", "zz"], ids=repr)
def test_unknown_iso_code_falls_back_to_failed(code: str) -> None:
    assert classify_iso_code(code) == (Outcome.FAILED, Reason.UNKNOWN_RESPONSE_CODE)


def test_missing_iso_code_is_an_interface_error() -> None:
    assert classify_iso_code(None) == (Outcome.FAILED, Reason.INTERFACE_ERROR)


def test_iso_code_is_trimmed() -> None:
    assert classify_iso_code(" 51 ").reason is Reason.INSUFFICIENT_FUNDS


HTTP_TABLE = [
    (200, Outcome.APPROVED, Reason.APPROVED),
    (201, Outcome.APPROVED, Reason.APPROVED),
    (400, Outcome.FAILED, Reason.HTTP_4XX),
    (401, Outcome.FAILED, Reason.HTTP_4XX),
    (404, Outcome.FAILED, Reason.HTTP_4XX),
    (409, Outcome.FAILED, Reason.HTTP_4XX),
    (429, Outcome.FAILED, Reason.RATE_LIMITED),
    (500, Outcome.FAILED, Reason.HTTP_5XX),
    (502, Outcome.FAILED, Reason.HTTP_5XX),
    (503, Outcome.FAILED, Reason.HTTP_5XX),
    (504, Outcome.FAILED, Reason.HTTP_5XX),
    (302, Outcome.FAILED, Reason.INTERFACE_ERROR),
    (100, Outcome.FAILED, Reason.INTERFACE_ERROR),
    (999, Outcome.FAILED, Reason.INTERFACE_ERROR),
]


@pytest.mark.parametrize(("status", "outcome", "reason"), HTTP_TABLE, ids=[str(s) for s, _, _ in HTTP_TABLE])
def test_http_status(status: int, outcome: Outcome, reason: Reason) -> None:
    assert classify_http_status(status) == (outcome, reason)


CLIENT_TABLE = [
    (ClientError.TIMEOUT, Reason.TIMEOUT),
    (ClientError.CONNECTION_REFUSED, Reason.CONNECTION_REFUSED),
    (ClientError.CONNECTION_RESET, Reason.CONNECTION_RESET),
    (ClientError.DNS, Reason.DNS_ERROR),
    (ClientError.TLS, Reason.TLS_ERROR),
    (ClientError.UNPARSEABLE, Reason.INTERFACE_ERROR),
    (ClientError.SCHEMA, Reason.INTERFACE_ERROR),
]


@pytest.mark.parametrize(("error", "reason"), CLIENT_TABLE, ids=[e.value for e, _ in CLIENT_TABLE])
def test_client_error_is_a_technical_failure(error: ClientError, reason: Reason) -> None:
    assert classify_client_error(error) == (Outcome.FAILED, reason)


def test_every_client_error_is_mapped() -> None:
    assert {e for e, _ in CLIENT_TABLE} == set(ClientError)


def test_every_reason_has_exactly_one_outcome() -> None:
    assert set(REASON_OUTCOME) == set(Reason)


def test_business_declines_never_count_as_failures() -> None:
    declines = {r for r, o in REASON_OUTCOME.items() if o is Outcome.DECLINED}
    assert declines.isdisjoint(FAILED_REASONS)
    assert Reason.INSUFFICIENT_FUNDS in declines and Reason.ISSUER_UNAVAILABLE in FAILED_REASONS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("timeout", Reason.TIMEOUT),
        (Reason.HTTP_5XX, Reason.HTTP_5XX),
        ("TIMEOUT", Reason.OTHER),
        ("x" * 10_000, Reason.OTHER),
        ("6229990000000014", Reason.OTHER),
        (None, Reason.OTHER),
        (42, Reason.OTHER),
    ],
    ids=["known", "enum", "case", "huge", "pan", "none", "int"],
)
def test_bounded_reason(value: object, expected: Reason) -> None:
    assert bounded_reason(value) is expected


def test_reason_set_is_small() -> None:
    # a metric label: keep it closed and small
    assert len(Reason) <= 40
