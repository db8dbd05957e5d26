"""Parsing log lines: statuses, label bounding, latency buckets and custom field mappings."""

from __future__ import annotations

import json

import pytest

from exporters.authlog import LineParser, LogFormat, Totals

from .helpers import log_line


def _feed(text: str | bytes, fmt: LogFormat | None = None) -> Totals:
    totals = Totals()
    LineParser(fmt).feed(text.encode() if isinstance(text, str) else text, totals)
    return totals


@pytest.mark.parametrize(
    ("line", "status"),
    [
        pytest.param(log_line(), "ok", id="sandbox-line"),
        pytest.param("not json\n", "malformed", id="not-json"),
        pytest.param(log_line()[:-40] + "\n", "malformed", id="truncated-line"),
        pytest.param("[1, 2]\n", "malformed", id="array"),
        pytest.param('"text"\n', "malformed", id="string"),
        pytest.param("42\n", "malformed", id="number"),
        pytest.param(log_line().replace('"latency_ms": 12.345', '"latency_ms": "fast"'), "malformed", id="bad-lat"),
        pytest.param(log_line().replace('"latency_ms": 12.345', '"latency_ms": -1'), "malformed", id="neg-lat"),
        pytest.param(log_line().replace('"latency_ms": 12.345', '"latency_ms": null'), "malformed", id="null-lat"),
        pytest.param(log_line().replace('"channel": "pos", ', ""), "malformed", id="no-channel"),
        pytest.param(log_line().replace('"channel": "pos"', '"channel": ["pos"]'), "malformed", id="list-channel"),
        pytest.param(log_line().replace("2026-12-01T21", "yesterday"), "malformed", id="bad-timestamp"),
        pytest.param(log_line().replace('"authorization"', '"reversal"'), "ignored", id="other-event"),
        pytest.param('{"event": "heartbeat"}\n', "ignored", id="heartbeat"),
        pytest.param("\xff\xfe garbage\n".encode("latin-1"), "malformed", id="binary"),
    ],
)
def test_line_status(line: str | bytes, status: str) -> None:
    totals = _feed(line)
    assert totals.lines == {"ok": 0, "malformed": 0, "ignored": 0} | {status: 1}
    assert sum(totals.authorizations.values()) == (1 if status == "ok" else 0)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        pytest.param({}, ("production", "pos", "approved", "approved"), id="approved-pos"),
        pytest.param(
            {"channel": "online", "outcome": "failed", "reason": "issuer_unavailable", "code": "91"},
            ("production", "online", "failed", "issuer_unavailable"),
            id="failed-online",
        ),
        pytest.param({"source": "synthetic"}, ("synthetic", "pos", "approved", "approved"), id="synthetic-kept"),
        pytest.param({"reason": "x" * 5000}, ("production", "pos", "approved", "other"), id="huge-reason"),
        pytest.param({"reason": "余额不足"}, ("production", "pos", "approved", "other"), id="unicode-reason"),
        pytest.param({"channel": "atm"}, ("production", "other", "approved", "approved"), id="unknown-channel"),
        pytest.param({"source": "partner"}, ("other", "pos", "approved", "approved"), id="unknown-source"),
        pytest.param({"outcome": "maybe"}, ("production", "pos", "other", "approved"), id="unknown-outcome"),
    ],
)
def test_labels_are_bounded(overrides: dict[str, str], key: tuple[str, str, str, str]) -> None:
    assert _feed(log_line(**overrides)).authorizations == {key: 1}  # type: ignore[arg-type]


def test_series_stay_bounded_under_random_values() -> None:
    text = "".join(log_line(i, channel=f"c{i}", source=f"s{i}", outcome=f"o{i}", reason=f"r{i}") for i in range(2000))
    totals = _feed(text)
    assert totals.lines["ok"] == 2000
    assert list(totals.authorizations) == [("other", "other", "other", "other")]
    assert list(totals.buckets) == [("other", "other")]


@pytest.mark.parametrize(
    ("latency_ms", "bucket_index"),
    [
        pytest.param(0.0, 0, id="zero"),
        pytest.param(25.0, 0, id="on-first-bound"),
        pytest.param(25.001, 1, id="just-above"),
        pytest.param(999.0, 6, id="under-1s"),
        pytest.param(30_000.0, 12, id="30s"),
        pytest.param(45_000.0, 13, id="+Inf"),
    ],
)
def test_latency_lands_in_le_bucket(latency_ms: float, bucket_index: int) -> None:
    totals = _feed(log_line(latency_ms=latency_ms))
    row = totals.buckets[("production", "pos")]
    assert row.index(1) == bucket_index
    assert totals.latency_sum[("production", "pos")] == pytest.approx(latency_ms / 1000)


def test_newest_event_is_the_latest_timestamp_not_the_last_line() -> None:
    text = log_line(ts="2026-12-01T21:00:05Z") + log_line(ts="2026-12-01T21:00:01Z")
    assert _feed(text).newest_event == pytest.approx(1796158805.0)


def test_line_without_final_newline_counts() -> None:
    assert _feed(log_line() + log_line().rstrip("\n")).lines["ok"] == 2


REAL_SYSTEM = LogFormat(
    timestamp="time",
    timestamp_format="unix_millis",
    event=None,
    channel="txn.channel",
    channel_values={"ecom": "online", "cp": "pos"},
    source=None,
    outcome=None,
    reason=None,
    response_code="txn.rc",
    latency="elapsed_s",
    latency_unit="s",
)


def _txn(channel: str, code: str) -> dict[str, object]:
    return {"txn": {"channel": channel, "rc": code}}


@pytest.mark.parametrize(
    ("event", "key"),
    [
        pytest.param(_txn("ecom", "00"), ("production", "online", "approved", "approved"), id="ok"),
        pytest.param(_txn("cp", "51"), ("production", "pos", "declined", "insufficient_funds"), id="51"),
        pytest.param(_txn("cp", "96"), ("production", "pos", "failed", "system_malfunction"), id="96"),
        pytest.param(_txn("cp", "Q7"), ("production", "pos", "failed", "unknown_response_code"), id="Q7"),
        pytest.param(_txn("moto", "05"), ("production", "other", "declined", "do_not_honor"), id="moto"),
    ],
)
def test_custom_field_mapping(event: dict[str, object], key: tuple[str, str, str, str]) -> None:
    line = json.dumps({"time": 1796158800123, "elapsed_s": 0.3, **event}) + "\n"
    totals = _feed(line, REAL_SYSTEM)
    assert totals.authorizations == {key: 1}
    assert totals.buckets[key[:2]][4] == 1  # 0.3 s: the le="0.5" bucket
    assert totals.newest_event == pytest.approx(1796158800.123)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param({"time": 1, "elapsed_s": 0.3, "txn": {"channel": "cp"}}, id="no-code"),
        pytest.param({"time": 1, "elapsed_s": True, "txn": {"channel": "cp", "rc": "00"}}, id="bool-latency"),
        pytest.param({"time": "x", "elapsed_s": 0.3, "txn": {"channel": "cp", "rc": "00"}}, id="text-time"),
        pytest.param({"time": 1, "elapsed_s": 0.3, "txn": "cp"}, id="not-nested"),
    ],
)
def test_custom_mapping_malformed(line: dict[str, object]) -> None:
    assert _feed(json.dumps(line) + "\n", REAL_SYSTEM).lines["malformed"] == 1
