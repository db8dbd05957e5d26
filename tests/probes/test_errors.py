"""The exception boundary: every library failure maps to one client error kind."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl

import httptools
import pydantic
import pytest

from paywatch.iso8583 import CodecError, FrameError
from paywatch.taxonomy import ClientError
from probes.errors import translate


def _validation_error() -> pydantic.ValidationError:
    class Model(pydantic.BaseModel):
        n: int

    try:
        Model.model_validate({"n": "card 6229990000000001"})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("model accepted a string")


def _frame_error_after_eof() -> FrameError:
    try:
        try:
            raise asyncio.IncompleteReadError(b"\x00", 2)
        except asyncio.IncompleteReadError:
            raise FrameError("connection closed inside a length prefix") from None
    except FrameError as exc:
        return exc


CASES = [
    ("asyncio-timeout", TimeoutError(), ClientError.TIMEOUT),
    ("gaierror", socket.gaierror(-2, "Name or service not known"), ClientError.DNS),
    ("ssl-error", ssl.SSLError(1, "handshake failure"), ClientError.TLS),
    ("refused", ConnectionRefusedError(111, "refused"), ClientError.CONNECTION_REFUSED),
    ("cert-verify", ssl.SSLCertVerificationError(1, "certificate verify failed"), ClientError.TLS),
    ("reset", ConnectionResetError(104, "reset by peer"), ClientError.CONNECTION_RESET),
    ("broken-pipe", BrokenPipeError(32, "broken pipe"), ClientError.CONNECTION_RESET),
    ("aborted", ConnectionAbortedError(103, "aborted"), ClientError.CONNECTION_RESET),
    ("http-garbage", httptools.HttpParserError("invalid status"), ClientError.UNPARSEABLE),
    ("incomplete-read", asyncio.IncompleteReadError(b"", 2), ClientError.CONNECTION_RESET),
    ("frame-eof", _frame_error_after_eof(), ClientError.CONNECTION_RESET),
    ("frame-length", FrameError("frame length 0 outside 1..4096"), ClientError.UNPARSEABLE),
    ("codec", CodecError("field 39 missing"), ClientError.UNPARSEABLE),
    ("json", json.JSONDecodeError("Expecting value", "garbage", 0), ClientError.UNPARSEABLE),
    ("unicode", UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ClientError.UNPARSEABLE),
    ("pydantic", _validation_error(), ClientError.SCHEMA),
]


@pytest.mark.parametrize(("exc", "kind"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_translate_maps_library_error_to_kind(exc: BaseException, kind: ClientError) -> None:
    failure = translate(exc)
    assert failure is not None
    assert failure.kind is kind


def test_translate_leaves_probe_bugs_alone() -> None:
    assert translate(KeyError("card")) is None


def test_schema_error_detail_does_not_echo_input() -> None:
    failure = translate(_validation_error())
    assert failure is not None
    assert "6229990000000001" not in failure.detail
    assert "n: int_parsing" in failure.detail
