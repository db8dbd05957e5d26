"""The authorization event log: one JSON line per decision, appended and flushed as it is made.

Lines carry the masked PAN only (PROTOCOL.md); the exporters tail this file.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sandbox.ledger import Authorization

__all__ = ["EventLog", "authorization_event", "encode_event"]

log = logging.getLogger(__name__)


def authorization_event(
    *,
    ts: str,
    authorization_id: str,
    channel: str,
    source: str,
    outcome: str,
    reason: str,
    response_code: str,
    latency_ms: float,
    amount: int,
    currency: str,
    merchant_id: str,
    terminal_id: str | None,
    region: str | None,
    pan_masked: str,
) -> dict[str, object]:
    """One authorization event in the log's field order (PROTOCOL.md); the card is masked already."""
    return {
        "ts": ts,
        "event": "authorization",
        "authorization_id": authorization_id,
        "channel": channel,
        "source": source,
        "outcome": outcome,
        "reason": reason,
        "response_code": response_code,
        "latency_ms": latency_ms,
        "amount": amount,
        "currency": currency,
        "merchant_id": merchant_id,
        "terminal_id": terminal_id,
        "region": region,
        "pan_masked": pan_masked,
    }


def encode_event(event: dict[str, object]) -> str:
    """The event as one log line, newline included."""
    return json.dumps(event, separators=(", ", ": ")) + "\n"


class EventLog:
    """Appends lines to ``path``, each with one unbuffered ``write``: a tailing reader is never more than a
    line behind, and a failed write leaves nothing queued to come out later. A write that fails (disk full,
    file gone bad) is logged once per episode and counted; the decision it describes stands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = path.open("ab", buffering=0)
        self.lines_written = 0
        self.write_errors = 0
        self._failing = False

    def authorization(self, authorization: Authorization, *, reason: str, outcome: str, latency_ms: float) -> None:
        self.write(
            authorization_event(
                ts=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                authorization_id=authorization.authorization_id,
                channel=authorization.channel,
                source=authorization.source,
                outcome=outcome,
                reason=reason,
                response_code=authorization.response_code,
                latency_ms=round(latency_ms, 3),
                amount=authorization.amount,
                currency=authorization.currency,
                merchant_id=authorization.merchant_id,
                terminal_id=authorization.terminal_id,
                region=authorization.region,
                pan_masked=authorization.pan_masked,
            )
        )

    def write(self, event: dict[str, object]) -> None:
        if self._file is None:
            return
        try:
            self._file.write(encode_event(event).encode())
        except OSError as exc:
            self.write_errors += 1
            if not self._failing:
                self._failing = True
                log.error("%s: authorization events are not being written: %s", self.path, exc.strerror or exc)
            return
        if self._failing:
            self._failing = False
            log.info("%s: authorization events are written again", self.path)
        self.lines_written += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
