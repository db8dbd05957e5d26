"""Parsing authorization log lines into plain-dict totals, before anything touches prometheus_client.

prometheus_client costs microseconds per call; a busy log has millions of lines. ``LineParser.feed``
counts a batch of lines into ``Totals`` (dicts of ints), which a custom collector renders at scrape time.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from exporters.authlog.format import LogFormat
from exporters.metrics import CHANNELS, LATENCY_BUCKETS, OTHER, SOURCES
from paywatch.taxonomy import REASON_OUTCOME, Outcome, Reason, classify_iso_code

__all__ = ["LineParser", "Totals"]

AuthKey = tuple[str, str, str, str]
"""(source, channel, outcome, reason)"""
LatencyKey = tuple[str, str]
"""(source, channel)"""

MAX_LATENCY_S = 86_400.0
"""A latency beyond a day is not a measurement; taking it would also let a few huge values overflow the sum
to infinity, which no checkpoint can store."""
MAX_AHEAD_S = 86_400.0
"""Timestamps further ahead of the clock than this are not taken as the newest event."""

_STATUSES = ("ok", "malformed", "ignored")
_ROTATION_KINDS = ("rotation", "truncation")


@dataclass
class Totals:
    """Everything counted so far; a checkpoint stores it beside the file offsets it corresponds to."""

    authorizations: dict[AuthKey, int] = field(default_factory=dict)
    buckets: dict[LatencyKey, list[int]] = field(default_factory=dict)
    """Per-bucket (not cumulative) counts; the last slot is ``+Inf``."""
    latency_sum: dict[LatencyKey, float] = field(default_factory=dict)
    """Seconds."""
    lines: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STATUSES, 0))
    rotations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROTATION_KINDS, 0))
    newest_event: float | None = None

    def copy(self) -> Totals:
        return Totals(
            dict(self.authorizations),
            {k: list(v) for k, v in self.buckets.items()},
            dict(self.latency_sum),
            dict(self.lines),
            dict(self.rotations),
            self.newest_event,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "authorizations": [[*key, n] for key, n in sorted(self.authorizations.items())],
            "latency": [[*key, self.buckets[key], self.latency_sum.get(key, 0.0)] for key in sorted(self.buckets)],
            "lines": self.lines,
            "rotations": self.rotations,
            "newest_event": self.newest_event,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Totals:
        totals = cls()
        for source, channel, outcome, reason, n in data.get("authorizations", []):
            totals.authorizations[(source, channel, outcome, reason)] = int(n)
        for source, channel, buckets, total in data.get("latency", []):
            if len(buckets) != len(LATENCY_BUCKETS) + 1:
                raise ValueError("checkpoint was written with other histogram buckets")
            totals.buckets[(source, channel)] = [int(b) for b in buckets]
            totals.latency_sum[(source, channel)] = float(total)
        totals.lines.update({k: int(v) for k, v in data.get("lines", {}).items() if k in _STATUSES})
        totals.rotations.update({k: int(v) for k, v in data.get("rotations", {}).items() if k in _ROTATION_KINDS})
        newest = data.get("newest_event")
        totals.newest_event = float(newest) if newest is not None else None
        return totals


class _Malformed(Exception):
    pass


def _dig(event: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        event = event[part]
    return event


def _dig_or_none(event: Any, dotted: str | None) -> Any:
    if dotted is None:
        return None
    try:
        return _dig(event, dotted)
    except (KeyError, TypeError):
        return None


class LineParser:
    """Counts lines of one ``LogFormat`` into ``Totals``. Never raises on input: a line that is not a
    JSON object with the mapped fields is counted ``malformed`` and skipped."""

    def __init__(self, fmt: LogFormat | None = None) -> None:
        self.fmt = fmt = fmt or LogFormat()
        self._unit = 1000.0 if fmt.latency_unit == "ms" else 1.0
        self._bounds = [b * self._unit for b in LATENCY_BUCKETS]
        self._ceiling = MAX_LATENCY_S * self._unit
        self._channels = {c: c for c in CHANNELS} | dict(fmt.channel_values)
        self._sources = {s: s for s in SOURCES} | dict(fmt.source_values)
        self._reasons: dict[str, str] = {r.value: r.value for r in Reason}
        self._outcomes: dict[str, str] = {o.value: o.value for o in Outcome}
        self._reason_outcome = {r.value: o.value for r, o in REASON_OUTCOME.items()}

    def feed(self, data: bytes, totals: Totals) -> None:
        """Count every line of ``data`` (complete lines; a final line without newline counts too)."""
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        fmt = self.fmt
        if (
            fmt.nested
            or None in (fmt.event, fmt.source, fmt.outcome, fmt.reason, fmt.timestamp)
            or fmt.timestamp_format != "iso8601"
        ):
            self._feed_general(lines, totals)
        else:
            self._feed_fast(lines, totals)

    def _feed_fast(self, lines: list[bytes], totals: Totals) -> None:
        """The sandbox-shaped path: flat fields, locals bound once, raw values counted per batch and
        mapped onto the bounded label sets once per distinct key when the batch is folded in."""
        fmt = self.fmt
        loads, fromiso, bounds = orjson.loads, datetime.fromisoformat, self._bounds
        overflow, ceiling = len(bounds), self._ceiling
        f_ts, f_event, event_value = fmt.timestamp, fmt.event, fmt.event_value
        f_channel, f_source, f_outcome, f_reason, f_latency = (
            fmt.channel,
            fmt.source,
            fmt.outcome,
            fmt.reason,
            fmt.latency,
        )
        raw: dict[tuple[Any, Any, Any, Any, int], list[Any]] = {}
        malformed = ignored = 0
        newest: datetime | None = None
        for line in lines:
            try:
                event = loads(line)
                if event.get(f_event) != event_value:
                    ignored += 1
                    continue
                latency = event[f_latency]
                kind = latency.__class__
                if kind is not float and kind is not int:  # bool, text, null, objects
                    raise TypeError
                slot = bisect_left(bounds, latency)
                if (slot == 0 and latency < 0) or (slot == overflow and not latency <= ceiling):
                    raise ValueError
                key = (event[f_source], event[f_channel], event[f_outcome], event[f_reason], slot)
                entry = raw.get(key)  # TypeError for unhashable (nested) label values, before anything counts
                stamp = fromiso(event[f_ts])
                if newest is None or stamp > newest:
                    newest = stamp
                if entry is None:
                    raw[key] = [1, latency]
                else:
                    entry[0] += 1
                    entry[1] += latency
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                malformed += 1
        ok = self._fold(raw, totals)
        self._finish(totals, ok, malformed, ignored, newest)

    def _fold(self, raw: dict[tuple[Any, Any, Any, Any, int], list[Any]], totals: Totals) -> int:
        channels, sources, reasons, outcomes = self._channels, self._sources, self._reasons, self._outcomes
        counts, buckets, sums = totals.authorizations, totals.buckets, totals.latency_sum
        width, unit, ok = len(self._bounds) + 1, self._unit, 0
        for (source, channel, outcome, reason, slot), (n, latency_total) in raw.items():
            lkey = (sources.get(source, OTHER), channels.get(channel, OTHER))
            key = (*lkey, outcomes.get(outcome, OTHER), reasons.get(reason, OTHER))
            counts[key] = counts.get(key, 0) + n
            row = buckets.get(lkey)
            if row is None:
                row = buckets[lkey] = [0] * width
                sums[lkey] = 0.0
            row[slot] += n
            sums[lkey] += latency_total / unit
            ok += n
        return ok

    def _feed_general(self, lines: list[bytes], totals: Totals) -> None:
        ok = malformed = ignored = 0
        newest: datetime | None = None
        for line in lines:
            try:
                parsed = self._parse(line)
            except _Malformed:
                malformed += 1
                continue
            if parsed is None:
                ignored += 1
                continue
            key, latency, stamp = parsed
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
            ok += 1
            totals.authorizations[key] = totals.authorizations.get(key, 0) + 1
            lkey = (key[0], key[1])
            row = totals.buckets.setdefault(lkey, [0] * (len(self._bounds) + 1))
            row[bisect_left(self._bounds, latency)] += 1
            totals.latency_sum[lkey] = totals.latency_sum.get(lkey, 0.0) + latency / self._unit
        self._finish(totals, ok, malformed, ignored, newest)

    def _parse(self, line: bytes) -> tuple[AuthKey, float, datetime | None] | None:
        fmt = self.fmt
        try:
            event = orjson.loads(line)
            if event.__class__ is not dict:
                raise _Malformed
            if fmt.event is not None and _dig_or_none(event, fmt.event) != fmt.event_value:
                return None
            channel = self._channels.get(_dig(event, fmt.channel), OTHER)
            raw_source = _dig_or_none(event, fmt.source)
            source = fmt.default_source if raw_source is None else self._sources.get(raw_source, OTHER)
            raw_reason = _dig_or_none(event, fmt.reason)
            if raw_reason is None:
                code = _dig_or_none(event, fmt.response_code)
                if not isinstance(code, str):
                    raise _Malformed
                reason = classify_iso_code(code).reason.value
            else:
                reason = self._reasons.get(raw_reason, OTHER)
            raw_outcome = _dig_or_none(event, fmt.outcome)
            if raw_outcome is None:
                outcome = self._reason_outcome.get(reason, Outcome.FAILED.value)
            else:
                outcome = self._outcomes.get(raw_outcome, OTHER)
            latency = _dig(event, fmt.latency)
            if isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 <= latency <= self._ceiling:
                raise _Malformed
            stamp = self._stamp(_dig(event, fmt.timestamp)) if fmt.timestamp is not None else None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            raise _Malformed from exc
        return (source, channel, outcome, reason), float(latency), stamp

    def _stamp(self, value: Any) -> datetime:
        fmt = self.fmt.timestamp_format
        if fmt == "iso8601":
            if not isinstance(value, str):
                raise TypeError
            return datetime.fromisoformat(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        return datetime.fromtimestamp(value / 1000.0 if fmt == "unix_millis" else value, UTC)

    @staticmethod
    def _finish(totals: Totals, ok: int, malformed: int, ignored: int, newest: datetime | None) -> None:
        lines = totals.lines
        lines["ok"] += ok
        lines["malformed"] += malformed
        lines["ignored"] += ignored
        if newest is not None:
            if newest.tzinfo is None:
                newest = newest.replace(tzinfo=UTC)  # a log without a zone is read as UTC
            stamp = newest.timestamp()
            if stamp > time.time() + MAX_AHEAD_S:
                return  # a garbage date would pin the newest event (and a lag of 0) until that date
            if totals.newest_event is None or stamp > totals.newest_event:
                totals.newest_event = stamp
