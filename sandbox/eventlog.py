"""The authorization event log: one JSON line per decision, appended and flushed as it is made.

Lines carry the masked PAN only (PROTOCOL.md); the exporters tail this file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sandbox.ledger import Authorization

__all__ = ["EventLog"]


class EventLog:
    """Appends lines to ``path``. Small lines written synchronously: one ``write`` and one ``flush``
    each, which costs microseconds and keeps a tailing reader never more than a line behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO | None = path.open("a", encoding="utf-8")
        self.lines_written = 0

    def authorization(self, authorization: Authorization, *, reason: str, outcome: str, latency_ms: float) -> None:
        self.write(
            {
                "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "event": "authorization",
                "authorization_id": authorization.authorization_id,
                "channel": authorization.channel,
                "source": authorization.source,
                "outcome": outcome,
                "reason": reason,
                "response_code": authorization.response_code,
                "latency_ms": round(latency_ms, 3),
                "amount": authorization.amount,
                "currency": authorization.currency,
                "merchant_id": authorization.merchant_id,
                "terminal_id": authorization.terminal_id,
                "region": authorization.region,
                "pan_masked": authorization.pan_masked,
            }
        )

    def write(self, event: dict[str, object]) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(event, separators=(", ", ": ")) + "\n")
        self._file.flush()
        self.lines_written += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
