"""aiohttp servers that never repeat a card number: answers to unparseable requests, and their logs, are redacted.

aiohttp answers a request it cannot parse (request line, header, chunk) with the parser's message, which
quotes the raw bytes, and logs it with a traceback. ``SafeAppRunner`` is ``web.AppRunner`` whose
connections answer such a request ``{"error": "bad_request", "detail": <redacted>}`` and log it redacted.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from aiohttp import web

from paywatch.cards import redact_pans

__all__ = ["SafeAppRunner"]

log = logging.getLogger(__name__)


def _text(args: tuple[Any, ...], exc_info: Any) -> str:
    text = str(args[0]) % args[1:] if len(args) > 1 else str(args[0]) if args else ""
    if isinstance(exc_info, BaseException):
        text += "\n" + "".join(traceback.format_exception(exc_info)).rstrip()
    return redact_pans(text)


class _RedactingHandler(web.RequestHandler):
    """One connection; only its error answers and its log lines differ from aiohttp's."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            # the server's own failure: aiohttp's answer quotes no request text (debug mode is never on)
            return super().handle_error(request, status, exc, message)
        detail = redact_pans(message or (str(exc) if exc is not None else ""))
        # a request the parser refused is the caller's mistake, not the server's: debug, not error
        log.debug("unparseable request from %s: %s", request.remote, detail)
        if request.writer.output_size > 0:
            raise ConnectionError("an answer was already sent; the connection is closed instead")
        response = web.json_response({"error": "bad_request", "detail": detail.strip()}, status=status)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        log.error("%s", _text(args, kw.get("exc_info")))

    def log_debug(self, *args: Any, **kw: Any) -> None:
        if self.debug:
            log.debug("%s", _text(args, kw.get("exc_info")))


class _RedactingServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        handler = super().__call__()
        # aiohttp offers no hook for its protocol class; both classes share one slot layout, so this is safe
        handler.__class__ = _RedactingHandler
        return handler


class SafeAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections redact card numbers from parse-error answers and logs."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _RedactingServer
        return server
