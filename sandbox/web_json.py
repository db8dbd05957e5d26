"""JSON in and out of the sandbox's HTTP routes: one body reader and one error shape for the card and admin APIs.

Error text goes through ``redact_pans``: ids and field names come from the caller and may hold a card number.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from paywatch.cards import redact_pans

__all__ = ["MAX_ECHO", "echo", "error", "json_error", "read_json"]

MAX_ECHO = 64
"""Characters of a caller's value an error message repeats at most."""


def _body(slug: str, detail: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"error": slug, "detail": redact_pans(detail), **extra}


def error(status: int, slug: str, detail: str = "", **extra: Any) -> web.Response:
    """PROTOCOL.md's error answer, ``{"error": slug, "detail": text}``."""
    return web.json_response(_body(slug, detail, extra), status=status)


def json_error(exception: type[web.HTTPException], slug: str, detail: str) -> web.HTTPException:
    """The same answer as an exception, for helpers that cannot return one."""
    return exception(text=json.dumps(_body(slug, detail, {})), content_type="application/json")


def echo(value: str) -> str:
    """A caller's value, shortened, for an error message (redaction happens when the message is sent)."""
    return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "..."


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; an empty body is ``{}``. Anything else is a 400 that does not echo it."""
    payload = await request.read()  # over client_max_size: aiohttp's 413
    if not payload.strip():
        return {}
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise json_error(web.HTTPBadRequest, "invalid_json", "body is not JSON") from None
