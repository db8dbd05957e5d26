"""The card API client of the probes: HTTP/1.1 on a fresh connection per request, timed by phase.

Every call returns an ``HttpAnswer`` (outcome data, never an exception for a failure of the
system under watch); answers are validated with pydantic models, so a schema break is data too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import httptools
import orjson
from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict, field_validator

from paywatch.cards import redact_pans
from paywatch.config import CardApiTarget
from paywatch.taxonomy import ClientError, Reason, classify_client_error, classify_http_status, classify_iso_code
from probes.errors import ProbeFailure, translate

__all__ = ["MAX_BODY_BYTES", "MAX_HEADER_BYTES", "CardApiClient", "ErrorBody", "HttpAnswer"]

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024
"""Card API answers are a few hundred bytes; anything this large is not an answer we can use."""
MAX_HEADER_BYTES = 16 * 1024

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # a header value must not be able to start another header
_RESPONSE_CODE = re.compile(r"[0-9A-Za-z]{2}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%?"


class ErrorBody(BaseModel):
    """``{"error": slug, "detail": text, "response_code": "05"?}`` of any non-2xx answer."""

    model_config = ConfigDict(extra="ignore")
    error: str = ""
    response_code: str | None = None

    @field_validator("response_code")
    @classmethod
    def _two_characters(cls, value: str | None) -> str | None:
        # The other side writes this text: only a field 39 shaped code is kept.
        return value if value is not None and _RESPONSE_CODE.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class HttpAnswer(Generic[M]):
    """What one request ended in. ``body`` is set only for a 2xx answer that matched its model."""

    ok: bool
    reason: Reason
    status: int | None = None
    body: M | None = None
    response_code: str | None = None
    phases: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    idempotency_key: str | None = None


class _Exchange(asyncio.Protocol):
    """One request and its answer on one connection; ``done`` resolves with the answer or a failure.

    httptools (llhttp) parses; a body over ``MAX_BODY_BYTES`` or headers over ``MAX_HEADER_BYTES``
    fail the exchange instead of growing without bound."""

    def __init__(self) -> None:
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.parser = httptools.HttpResponseParser(self)
        self.status: int | None = None
        self.body = bytearray()
        self.sent = 0.0
        self.first_byte: float | None = None
        self._header_bytes = 0
        self._framed = False  # Content-Length or chunked: the answer ends by itself, not at close

    # asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        if self.first_byte is None:
            self.first_byte = time.perf_counter()
        if self.done.done():
            return
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # httptools.HttpParserError, or a size cap raised from a callback
            self._fail(exc.__context__ if isinstance(exc.__context__, ProbeFailure) else exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.status is not None and not self._framed and exc is None:
            self._complete()  # an answer without length ends when the server closes
        self._fail(exc or ConnectionResetError("connection closed by the card API before a complete answer"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise ProbeFailure(ClientError.UNPARSEABLE, f"answer headers over {MAX_HEADER_BYTES} bytes")
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self._framed = True

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_BODY_BYTES:
            raise ProbeFailure(ClientError.UNPARSEABLE, f"answer body over {MAX_BODY_BYTES} bytes")

    def on_message_complete(self) -> None:
        if self.status is not None and self.status < 200:
            # An informational answer (100 Continue): the real one follows on the same connection.
            self.status, self._framed, self._header_bytes = None, False, 0
            self.body.clear()
            return
        self._complete()

    def _complete(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


class CardApiClient:
    """The card API as one region's probe sees it; every request opens a fresh connection.

    A fresh connection per request, as blackbox_exporter probes, so every step measures DNS,
    connect, TLS and first byte. ``region`` goes into ``X-Paywatch-Region``; every POST gets an
    ``Idempotency-Key`` and every request a W3C ``traceparent`` from the current OpenTelemetry
    context. ``async with`` is accepted (a request never outlives its call: it closes its own
    connection on every path, cancellation included).
    """

    def __init__(self, target: CardApiTarget, region: str) -> None:
        url = urlsplit(target.base_url)
        self._tls = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or (443 if self._tls else 80)
        self._prefix = url.path.rstrip("/")
        self._resolve = not _is_ip(self._host)
        host_header = self._host if ":" not in self._host else f"[{self._host}]"
        if self._port != (443 if self._tls else 80):
            host_header += f":{self._port}"
        fixed = {
            "Host": host_header,
            "Connection": "close",
            "Accept": "application/json",
            "Authorization": f"Bearer {target.api_key.get_secret_value()}",
            "X-Paywatch-Region": region,
        }
        if any(_UNSAFE.search(v) for v in fixed.values()):
            raise ValueError("card API key, address or region holds a control character: not a valid HTTP header")
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self._tls else None

    async def __aenter__(self) -> CardApiClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> HttpAnswer[M]:
        """Send one request; classify its status, and validate a 2xx body against ``model``."""
        method = method.upper()
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        head = [f"{method} {quote(self._prefix + path, safe=_PATH_SAFE)} HTTP/1.1\r\n", self._fixed]
        head.extend(f"{k}: {v}\r\n" for k, v in carrier.items() if not _UNSAFE.search(v))
        key = None
        if method == "POST":
            key = idempotency_key or str(uuid.uuid4())
            head.append(f"Idempotency-Key: {key}\r\n")
        payload = b""
        if json is not None or method in ("POST", "PUT", "PATCH"):
            payload = orjson.dumps(json if json is not None else {})
            head.append(f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n")
        head.append("\r\n")
        request = "".join(head).encode("latin-1") + payload
        phases: dict[str, float] = {}
        exchange: _Exchange | None = None
        try:
            exchange = await self._send(request, phases)
            await exchange.done
            status = exchange.status
            assert status is not None  # done without a failure means an answer was parsed
            if exchange.first_byte is not None:
                phases["first_byte"] = exchange.first_byte - exchange.sent
            raw = bytes(exchange.body)
            if 200 <= status < 300:
                return HttpAnswer(True, Reason.APPROVED, status, model.model_validate_json(raw), None, phases, "", key)
            return self._failed_status(status, raw, phases, key)
        except Exception as exc:
            failure = translate(exc)
            if failure is None:
                raise
            status = exchange.status if exchange is not None else None
            return self._failed_client(failure, status, phases, key)

    async def _send(self, request: bytes, phases: dict[str, float]) -> _Exchange:
        """Resolve, connect, handshake (each timed) and write ``request``; the answer arrives in ``done``."""
        loop = asyncio.get_running_loop()
        addresses = [self._host]
        started = time.perf_counter()
        if self._resolve:
            infos = await loop.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            now = time.perf_counter()
            phases["dns"], started = now - started, now
        transport, exchange = await self._connect(loop, addresses)
        try:
            now = time.perf_counter()
            phases["connect"] = now - started
            if self._ssl is not None:
                upgraded = await loop.start_tls(transport, exchange, self._ssl, server_hostname=self._host)
                if upgraded is None:
                    raise ConnectionResetError("connection closed during the TLS handshake")
                transport = upgraded
                phases["tls"] = time.perf_counter() - now
            exchange.sent = time.perf_counter()
            transport.write(request)
        except BaseException:
            transport.abort()
            if exchange.done.done() and not exchange.done.cancelled():
                exchange.done.exception()  # the failure raised here is the one reported
            else:
                exchange.done.cancel()
            raise
        # Whatever ends the exchange (answer, failure, the caller's timeout cancelling it) closes it.
        exchange.done.add_done_callback(lambda _: transport.close())
        return exchange

    async def _connect(
        self, loop: asyncio.AbstractEventLoop, addresses: list[str]
    ) -> tuple[asyncio.Transport, _Exchange]:
        """The first address that accepts (``localhost`` may name ::1 first, with the server on IPv4 only)."""
        for address in addresses[:-1]:
            try:
                return await loop.create_connection(_Exchange, address, self._port)
            except OSError:
                continue
        return await loop.create_connection(_Exchange, addresses[-1], self._port)

    @staticmethod
    def _failed_status(status: int, raw: bytes, phases: dict[str, float], key: str | None) -> HttpAnswer[Any]:
        try:
            error = ErrorBody.model_validate_json(raw)
        except ValueError:
            error = ErrorBody()
        if error.error == "declined" and error.response_code:
            # A front declining a non-authorization call (422) speaks ISO 8583 codes.
            reason = classify_iso_code(error.response_code).reason
            return HttpAnswer(False, reason, status, None, error.response_code, phases, f"HTTP {status} declined", key)
        reason = classify_http_status(status).reason
        # The slug comes from the other side: bounded, and never a card number.
        detail = redact_pans(f"HTTP {status} {error.error[:80]}".strip())
        return HttpAnswer(False, reason, status, None, None, phases, detail, key)

    @staticmethod
    def _failed_client(
        failure: ProbeFailure, status: int | None, phases: dict[str, float], key: str | None
    ) -> HttpAnswer[Any]:
        reason = classify_client_error(failure.kind).reason
        return HttpAnswer(False, reason, status, None, None, phases, failure.detail, key)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
