"""Hostile log lines: counted malformed without moving the figures of the good lines, and never able to
poison the checkpoint or pin the freshness gauges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exporters.authlog import AuthlogExporter, LineParser, LogFormat, Totals

from .helpers import log_line

GOOD_TS = "2026-12-01T21:00:00.123456Z"
FLAT_SECONDS = LogFormat(latency="latency_s", latency_unit="s")
"""The sandbox layout with latency in seconds: still the parser's fast path."""
NESTED = LogFormat(latency="timing.latency_ms")
"""A dotted field: the general path."""


def _line(**fields: object) -> bytes:
    event: dict[str, object] = json.loads(log_line())
    event.update(fields)
    return (json.dumps(event) + "\n").encode()


def _feed(data: bytes, fmt: LogFormat | None = None) -> Totals:
    totals = Totals()
    LineParser(fmt).feed(data, totals)
    return totals


@pytest.mark.parametrize(
    ("line", "fmt"),
    [
        pytest.param(_line(latency_ms=1e308), None, id="latency-near-float-max"),
        pytest.param(_line(latency_ms=90_000_000), None, id="latency-over-a-day"),
        pytest.param(_line(latency_ms=2**70), None, id="latency-beyond-64-bit"),
        pytest.param(_line(latency_ms="12.5"), None, id="latency-as-text"),
        pytest.param(_line(latency_s=True), FLAT_SECONDS, id="bool-latency-in-seconds"),
        pytest.param(_line(latency_s=1e308), FLAT_SECONDS, id="huge-latency-in-seconds"),
        pytest.param(_line(timing={"latency_ms": 1e308}), NESTED, id="huge-latency-nested-format"),
        pytest.param(_line(timing={"latency_ms": True}), NESTED, id="bool-latency-nested-format"),
        pytest.param(_line(ts=1796158800), None, id="timestamp-as-number"),
        pytest.param(_line(source={"a": 1}), None, id="object-as-label"),
        pytest.param(b"\x00\x01\x02\xff" * 64 + b"\n", None, id="binary"),
        pytest.param(b'{"event": "authorization", "ts": "\xc3\x28"}\n', None, id="invalid-utf8"),
        pytest.param(b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"\n", None, id="deep-nesting"),
    ],
)
def test_hostile_line_is_malformed_and_changes_no_figure(line: bytes, fmt: LogFormat | None) -> None:
    good = _feed(_line(), fmt) if fmt is None else Totals()
    totals = _feed((_line() if fmt is None else b"") + line, fmt)
    assert totals.lines["malformed"] == 1
    assert (totals.authorizations, totals.latency_sum, totals.newest_event) == (
        good.authorizations,
        good.latency_sum,
        good.newest_event,
    )


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(_line(channel=["pos"], ts="2099-01-01T00:00:00Z"), id="malformed-line-with-a-late-timestamp"),
        pytest.param(_line(ts="9999-12-31T23:59:59Z"), id="far-future-timestamp"),
    ],
)
def test_newest_event_only_moves_for_plausible_good_lines(bad: bytes) -> None:
    totals = _feed(bad)
    assert totals.newest_event is None
    LineParser().feed(_line(ts=GOOD_TS), totals)
    assert totals.newest_event == pytest.approx(1796158800.123456)


def test_huge_latencies_cannot_poison_the_checkpoint(tmp_path: Path) -> None:
    log, checkpoint = tmp_path / "auth.log", tmp_path / "checkpoint.json"
    log.write_bytes(_line(latency_ms=1e308) * 2 + _line())
    first = AuthlogExporter([log], checkpoint=checkpoint)
    assert first.read_to_end().lines == {"ok": 1, "malformed": 2, "ignored": 0}
    first.close()
    restarted = AuthlogExporter([log], checkpoint=checkpoint)  # used to fail: inf was stored as null
    assert restarted.read_to_end().latency_sum == {("production", "pos"): pytest.approx(0.012345)}
    restarted.close()
