"""``paywatch probe`` without ``--once``: a real process serving /metrics and /healthz, stopped by
SIGTERM, which exits cleanly after attempting its pending reversals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from paywatch.cards import find_pans
from sandbox import RunningSandbox
from tests.probes.conftest import Admin

REGION, JOURNEY = "north", "pos_purchase"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config_file(sandbox: RunningSandbox, tmp_path: Path, metrics_port: int) -> Path:
    raw = {
        "time_scale": 1.0,
        "targets": {
            "card_api": {"base_url": sandbox.http_url},
            "pos_host": {"host": sandbox.iso_host, "port": sandbox.iso_port},
        },
        "journeys": [{"name": JOURNEY, "interval_s": 0.3, "jitter": 0.0, "step_timeout_s": 0.5, "timeout_s": 1.5}],
        "probe": {
            "metrics": {"host": "127.0.0.1", "port": metrics_port},
            "state_dir": str(tmp_path / "state"),
            "reversal_backoff_initial_s": 0.05,
            "reversal_backoff_max_s": 0.2,
        },
    }
    path = tmp_path / "paywatch.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def _scrape_until(session: aiohttp.ClientSession, url: str, holds_at_least: int, timeout_s: float) -> str:
    """/metrics once a failed run has been counted and ``holds_at_least`` holds are open."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            async with session.get(url) as response:
                text = await response.text()
            holds = _samples(text, "paywatch_probe_open_holds").get((("journey", JOURNEY), ("region", REGION)), 0)
            failures = _samples(text, "paywatch_probe_runs_total")
            failed = any(dict(k).get("outcome") == "failure" and v > 0 for k, v in failures.items())
            if failed and holds >= holds_at_least:
                return text
        except aiohttp.ClientError:
            pass  # not listening yet
        if loop.time() > deadline:
            raise AssertionError(f"no failed run with an open hold on {url} within {timeout_s} s")
        await asyncio.sleep(0.1)


async def test_continuous_probe_serves_metrics_and_reverses_pending_holds_on_sigterm(
    sandbox: RunningSandbox, admin: Admin, tmp_path: Path
) -> None:
    # The authorization's answer is lost after the decision: the hold is real until reversed.
    await admin.inject(target="risk", effect="timeout", region=REGION, channel="pos")
    metrics_port = _free_port()
    config = _config_file(sandbox, tmp_path, metrics_port)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paywatch", "probe", "--config", str(config), "--region", REGION,
            stdin=asyncio.subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{metrics_port}"
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                await _scrape_until(session, base + "/metrics", holds_at_least=1, timeout_s=20)
                async with session.get(base + "/healthz") as response:
                    assert response.status == 200
            await admin.clear()
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), timeout=20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert code == 0, err.read_text()
    # Shutdown attempted every pending reversal: nothing left on disk, nothing held by the sandbox.
    state = json.loads((tmp_path / "state" / "pending-reversals.json").read_text())
    assert state["pending"] == []
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
    logs = out.read_text() + err.read_text()
    assert f"journey={JOURNEY} region={REGION} outcome=failure" in logs
    assert find_pans(logs) == []
