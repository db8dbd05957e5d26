"""Idempotency keys: the same key and body get the same answer; the same key with another body is refused.

Answers are kept per (API key, Idempotency-Key); server errors are not kept, so a retry runs again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["IdempotencyConflict", "IdempotencyStore", "StoredAnswer", "fingerprint"]


class IdempotencyConflict(Exception):
    """The key was used before with another request."""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    body: bytes
    content_type: str = "application/json"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of the request; JSON bodies are compared by value, not by spacing or key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON (or nested past the parser's stack): compared as bytes
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


class IdempotencyStore:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._entries: dict[tuple[str, str], tuple[str, asyncio.Future[StoredAnswer]]] = {}

    async def run(
        self, scope: str, key: str, digest: str, produce: Callable[[], Awaitable[StoredAnswer]]
    ) -> StoredAnswer:
        """The stored answer for ``(scope, key)``, or ``produce()``'s, kept unless it is a 5xx."""
        entry = self._entries.get((scope, key))
        if entry is not None:
            stored_digest, future = entry
            if stored_digest != digest:
                raise IdempotencyConflict(key)
            # a concurrent first request is still running: share its answer
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._entries[(scope, key)] = (digest, future)
        try:
            answer = await produce()
        except BaseException as exc:
            del self._entries[(scope, key)]
            if isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # marked retrieved: waiters re-raise it, nothing else should log it
            else:
                future.cancel()
            raise
        if answer.status >= 500:
            del self._entries[(scope, key)]
        else:
            while len(self._entries) > self._capacity:
                del self._entries[next(iter(self._entries))]
        future.set_result(answer)
        return answer
