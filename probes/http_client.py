"""The card API client of the probes: aiohttp with per-request phase timings and typed answers.

Every call returns an ``HttpAnswer`` (outcome data, never an exception for a failure of the
system under watch); answers are validated with pydantic models, so a schema break is data too.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace, TracebackType
from typing import Any, Generic, TypeVar

import aiohttp
from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict

from paywatch.config import CardApiTarget
from paywatch.taxonomy import Reason, classify_client_error, classify_http_status, classify_iso_code
from probes.errors import ProbeFailure, translate

__all__ = ["CardApiClient", "ErrorBody", "HttpAnswer"]

M = TypeVar("M", bound=BaseModel)


class ErrorBody(BaseModel):
    """``{"error": slug, "detail": text, "response_code": "05"?}`` of any non-2xx answer."""

    model_config = ConfigDict(extra="ignore")
    error: str = ""
    response_code: str | None = None


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


def _trace_config() -> aiohttp.TraceConfig:
    """Phase timings per request, written into the dict passed as ``trace_request_ctx``."""
    config = aiohttp.TraceConfig()

    def mark(name: str) -> Any:
        async def handler(_session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: object) -> None:
            marks = ctx.trace_request_ctx
            if isinstance(marks, dict):
                marks[name] = time.perf_counter()

        return handler

    config.on_request_start.append(mark("start"))
    config.on_dns_resolvehost_start.append(mark("dns_start"))
    config.on_dns_resolvehost_end.append(mark("dns_end"))
    config.on_connection_create_start.append(mark("connect_start"))
    config.on_connection_create_end.append(mark("connect_end"))
    config.on_request_headers_sent.append(mark("sent"))
    config.on_request_end.append(mark("first_byte"))
    return config


_TRACE_CONFIG = _trace_config()  # built once: sessions share it, a run costs no new closures


def _phases(marks: dict[str, float], tls: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    if "dns_start" in marks and "dns_end" in marks:
        out["dns"] = marks["dns_end"] - marks["dns_start"]
    if "connect_start" in marks and "connect_end" in marks:
        # aiohttp has no separate TLS signal: connection creation includes the handshake.
        span = marks["connect_end"] - marks["connect_start"] - out.get("dns", 0.0)
        out["connect"] = max(span, 0.0)
        if tls:
            out["tls"] = out["connect"]
    if "first_byte" in marks:
        out["first_byte"] = marks["first_byte"] - marks.get("sent", marks.get("start", marks["first_byte"]))
    return out


class CardApiClient:
    """One aiohttp session against the card API; open one per journey run for a fresh connection.

    ``region`` goes into ``X-Paywatch-Region``; every POST gets an ``Idempotency-Key`` and every
    request a W3C ``traceparent`` from the current OpenTelemetry context.
    """

    def __init__(self, target: CardApiTarget, region: str, *, reuse_connections: bool = True) -> None:
        self._base = target.base_url.rstrip("/")
        self._tls = self._base.startswith("https://")
        self._headers = {
            "Authorization": f"Bearer {target.api_key.get_secret_value()}",
            "X-Paywatch-Region": region,
        }
        self._reuse = reuse_connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> CardApiClient:
        connector = aiohttp.TCPConnector(force_close=not self._reuse, limit=4, use_dns_cache=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            trace_configs=[_TRACE_CONFIG],
            headers=self._headers,
            # JSON answers are small: ask for identity encoding and skip the decompressor set-up.
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
            # The scheduler owns timeouts; aiohttp's own default (5 min) must never fire first.
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

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
        if self._session is None:
            raise RuntimeError("CardApiClient used outside 'async with'")
        headers: dict[str, str] = {}
        propagate.inject(headers)
        key = None
        if method.upper() == "POST":
            key = idempotency_key or str(uuid.uuid4())
            headers["Idempotency-Key"] = key
        marks: dict[str, float] = {}
        status: int | None = None
        try:
            async with self._session.request(
                method, self._base + path, json=json, headers=headers, trace_request_ctx=marks
            ) as response:
                status = response.status
                raw = await response.read()
            phases = _phases(marks, self._tls)
            if 200 <= status < 300:
                return HttpAnswer(True, Reason.APPROVED, status, model.model_validate_json(raw), None, phases, "", key)
            return self._failed_status(status, raw, phases, key)
        except Exception as exc:
            failure = translate(exc)
            if failure is None:
                raise
            return self._failed_client(failure, status, _phases(marks, self._tls), key)

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
        detail = f"HTTP {status} {error.error}".strip()
        return HttpAnswer(False, reason, status, None, None, phases, detail, key)

    @staticmethod
    def _failed_client(
        failure: ProbeFailure, status: int | None, phases: dict[str, float], key: str | None
    ) -> HttpAnswer[Any]:
        reason = classify_client_error(failure.kind).reason
        return HttpAnswer(False, reason, status, None, None, phases, failure.detail, key)
