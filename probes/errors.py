"""The one boundary where library exceptions become probe failures (``ProbeFailure``).

Steps never see httptools, asyncio, socket, ssl, json or pydantic errors; they see a
``ClientError`` kind and a card-data-free detail. The tree this module flattens::

    BaseException
    ├── TimeoutError  (asyncio.TimeoutError is TimeoutError) ........... timeout
    └── Exception
        ├── OSError
        │   ├── socket.gaierror ........................................ dns
        │   ├── ssl.SSLError (ssl.CertificateError is one) ............. tls
        │   ├── ConnectionRefusedError ................................. connection_refused
        │   └── ConnectionResetError, BrokenPipeError,
        │       ConnectionAbortedError, any other OSError .............. connection_reset
        ├── asyncio.IncompleteReadError ................................ connection_reset
        ├── httptools.HttpParserError (not an HTTP/1.1 answer) ..... unparseable
        ├── ValueError
        │   ├── json.JSONDecodeError, UnicodeDecodeError ............... unparseable
        │   └── pydantic.ValidationError ............................... schema
        └── paywatch.iso8583.Iso8583Error
            ├── FrameError (stream ended inside a frame) ............... connection_reset
            ├── FrameError (impossible length) ......................... unparseable
            └── CodecError ............................................. unparseable

Anything else is a bug in the probe, not a failure of the system under watch, and is not caught.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl

import httptools
import pydantic

from paywatch.cards import redact_pans
from paywatch.iso8583 import CodecError, FrameError
from paywatch.taxonomy import ClientError

__all__ = ["ProbeFailure", "translate"]


class ProbeFailure(Exception):
    """A failure of the system under watch as the client saw it: a kind and a safe detail."""

    def __init__(self, kind: ClientError, detail: str) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail


def _kind(exc: BaseException) -> ClientError | None:
    # Order matters: the ssl and socket errors are OSErrors too.
    if isinstance(exc, TimeoutError):
        return ClientError.TIMEOUT
    if isinstance(exc, socket.gaierror):
        return ClientError.DNS
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ClientError.TLS
    if isinstance(exc, ConnectionRefusedError):
        return ClientError.CONNECTION_REFUSED
    if isinstance(exc, asyncio.IncompleteReadError | OSError):
        return ClientError.CONNECTION_RESET
    if isinstance(exc, httptools.HttpParserError):
        return ClientError.UNPARSEABLE
    if isinstance(exc, pydantic.ValidationError):
        return ClientError.SCHEMA
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return ClientError.UNPARSEABLE
    if isinstance(exc, FrameError):
        # read_frame raises FrameError "from None" out of an IncompleteReadError: the peer hung up.
        if isinstance(exc.__context__, asyncio.IncompleteReadError):
            return ClientError.CONNECTION_RESET
        return ClientError.UNPARSEABLE
    if isinstance(exc, CodecError):
        return ClientError.UNPARSEABLE
    return None


def _detail(exc: BaseException) -> str:
    if isinstance(exc, pydantic.ValidationError):
        # Field paths and error types only: validation messages may echo input values.
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['type']}" for e in exc.errors())
    text = str(exc) or type(exc).__name__
    return redact_pans(f"{type(exc).__name__}: {text}")[:300]


def translate(exc: BaseException) -> ProbeFailure | None:
    """The ``ProbeFailure`` for ``exc``, or ``None`` when ``exc`` is not a failure we classify."""
    if isinstance(exc, ProbeFailure):
        return exc
    kind = _kind(exc)
    if kind is None:
        return None
    return ProbeFailure(kind, _detail(exc))
