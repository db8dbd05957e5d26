"""The authlog exporter as a service: /metrics over HTTP, promtool, the CLI, and exactly-once across kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporters.authlog import serve_authlog

from .helpers import log_line

LINE_FIELDS = {"channel": "online", "outcome": "failed", "reason": "issuer_unavailable", "code": "91"}


def _write(path: Path, start: int, count: int) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for i in range(start, start + count):
            fields = LINE_FIELDS if i % 3 == 0 else {}
            handle.write(log_line(i, ts=f"2026-12-01T21:{i // 60 % 60:02d}:{i % 60:02d}.000001Z", **fields))


async def _scrape(url: str, accept: str = "") -> str:
    async with aiohttp.ClientSession() as session, session.get(url, headers={"Accept": accept}) as resp:
        return await resp.text()


def _sample(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in (labels or {}).items()):
                return sample.value
    return None


async def _wait_for(url: str, name: str, labels: dict[str, str], expected: float, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        text = await _scrape(url)
        if _sample(text, name, labels) == expected or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.1)


async def test_served_metrics_pass_promtool_and_match_the_log(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    _write(log, 0, 30)
    with log.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    async with serve_authlog([log], port=0, interval_s=0.05) as service:
        text = await _wait_for(service.url, "paywatch_authlog_lines_total", {"status": "ok"}, 30)
        openmetrics = await _scrape(service.url, "application/openmetrics-text; version=1.0.0")
    assert _sample(text, "paywatch_authlog_lines_total", {"status": "malformed"}) == 1
    failed = {"source": "production", "channel": "online", "outcome": "failed", "reason": "issuer_unavailable"}
    assert _sample(text, "paywatch_authorizations_total", failed) == 10
    assert _sample(text, "paywatch_authorization_duration_seconds_count", {"channel": "pos"}) == 20
    assert _sample(text, "paywatch_authlog_newest_event_timestamp_seconds") == pytest.approx(1796158829.000001)
    lag = _sample(text, "paywatch_authlog_lag_seconds")
    assert lag is not None and lag > 0
    assert openmetrics.rstrip().endswith("# EOF")
    done = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert (done.returncode, done.stdout + done.stderr) == (0, b"")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporters.authlog", *args]


@pytest.mark.parametrize(
    ("extra", "expect_in_output"),
    [pytest.param(["--json"], '"malformed": 1', id="json"), pytest.param([], "1 malformed", id="table")],
)
def test_once_prints_totals(tmp_path: Path, extra: list[str], expect_in_output: str) -> None:
    log = tmp_path / "auth.log"
    _write(log, 0, 12)
    with log.open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    done = subprocess.run(_cli("--path", str(log), "--once", *extra), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert expect_in_output in done.stdout
    if extra:
        summary = json.loads(done.stdout)
        assert summary["lines"] == {"ok": 12, "malformed": 1, "ignored": 0}
        assert sum(row["count"] for row in summary["authorizations"]) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--path", "/nonexistent/auth.log", "--once"], "no such file", id="missing-file"),
        pytest.param(["--path", "x", "--listen", "nowhere"], "HOST:PORT", id="bad-listen"),
    ],
)
def test_cli_errors_exit_nonzero(args: list[str], message: str) -> None:
    done = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


class _Exporter:
    """The CLI in follow mode as a child process, so it can be killed with SIGKILL."""

    def __init__(self, log: Path, checkpoint: Path) -> None:
        self.process = subprocess.Popen(
            _cli("--path", str(log), "--checkpoint", str(checkpoint), "--listen", "127.0.0.1:0"),
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/metrics)", line)
        assert match, line
        self.url = match.group(1)

    def ok_lines(self) -> float | None:
        with urllib.request.urlopen(self.url, timeout=5) as resp:
            return _sample(resp.read().decode(), "paywatch_authlog_lines_total", {"status": "ok"})

    def wait_for(self, expected: int, timeout_s: float = 30) -> float | None:
        deadline = time.monotonic() + timeout_s
        while (value := self.ok_lines()) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    def kill(self, signum: int) -> None:
        self.process.send_signal(signum)
        self.process.wait(timeout=30)


def test_exactly_once_across_rotations_truncation_and_kill_9(tmp_path: Path) -> None:
    log, checkpoint = tmp_path / "logs" / "auth.log", tmp_path / "state" / "authlog.json"
    log.parent.mkdir()
    written = 0

    def write(count: int, path: Path = log) -> None:
        nonlocal written
        _write(path, written, count)
        written += count

    write(300)
    exporter = _Exporter(log, checkpoint)
    try:
        # rotation 1: rename, the writer still appends to the old file a little, then a new file
        log.rename(log.with_name("auth.log.1"))
        write(50, log.with_name("auth.log.1"))
        write(200)
        assert exporter.wait_for(written) == written
        # truncation (copytruncate): only lines read before it can be counted, so wait, then truncate
        with log.open("w", encoding="utf-8"):
            pass
        write(100)
        assert exporter.wait_for(written) == written
        # kill -9 while lines arrive: what was read since the last commit is read again, once
        write(400)
        time.sleep(0.3)
        exporter.kill(signal.SIGKILL)
        write(120)
        # rotation 2 while the exporter is down
        log.rename(log.with_name("auth.log.2"))
        write(250)
        exporter = _Exporter(log, checkpoint)
        assert exporter.wait_for(written) == written
        with urllib.request.urlopen(exporter.url, timeout=5) as resp:
            text = resp.read().decode()
    finally:
        exporter.kill(signal.SIGTERM)
    assert written == 1420
    total = sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "paywatch_authorizations_total"
    )
    assert total == written
    assert _sample(text, "paywatch_authlog_rotations_total", {"kind": "rotation"}) == 2
    assert _sample(text, "paywatch_authlog_rotations_total", {"kind": "truncation"}) == 1


def test_config_names_the_log_and_a_format_file_maps_fields(tmp_path: Path) -> None:
    log = tmp_path / "other.log"
    log.write_text('{"when": "2026-12-01T21:00:00Z", "ch": "cp", "rc": "51", "ms": 40}\n', encoding="utf-8")
    config = tmp_path / "paywatch.yaml"
    config.write_text(f"sandbox:\n  event_log: {log}\n", encoding="utf-8")
    mapping = tmp_path / "format.yaml"
    mapping.write_text(
        "timestamp: when\nevent: null\nchannel: ch\nchannel_values: {cp: pos}\nsource: null\n"
        "outcome: null\nreason: null\nresponse_code: rc\nlatency: ms\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        _cli("--config", str(config), "--format", str(mapping), "--once", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["authorizations"]
    assert rows == [
        {"source": "production", "channel": "pos", "outcome": "declined", "reason": "insufficient_funds", "count": 1}
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param("format.yaml", "latency_unit: minutes\n", "latency_unit", id="bad-format-field"),
        pytest.param("format.yaml", "colour: blue\n", "colour", id="unknown-format-field"),
        pytest.param("paywatch.yaml", "probe: {metrics: {port: -1}}\n", "probe.metrics.port", id="bad-config"),
    ],
)
def test_bad_files_fail_at_start_naming_the_field(tmp_path: Path, name: str, text: str, message: str) -> None:
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    option = "--format" if name == "format.yaml" else "--config"
    done = subprocess.run(
        _cli("--path", str(tmp_path / "x.log"), option, str(bad), "--once"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert str(bad) in done.stderr and message in done.stderr
