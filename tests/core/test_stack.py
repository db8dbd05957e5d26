"""The whole stack on the fast profile: every journey succeeds, both jobs are scraped, no page."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from paywatch.config import default_config
from paywatch.stack import run_stack, scrape_jobs

SYNTHETIC = 'paywatch_authorizations_total{source="synthetic"}'


async def _query(session: aiohttp.ClientSession, prometheus: str, expr: str) -> list[dict[str, object]]:
    async with session.get(f"{prometheus}/api/v1/query", params={"query": expr}) as response:
        body = await response.json()
    return list(body["data"]["result"])


async def test_clean_stack_runs_every_journey_and_scrapes_every_job(tmp_path: Path) -> None:
    async with run_stack(default_config(), workdir=tmp_path, profile="fast", traffic_rate=10) as stack:
        assert stack.prometheus_url and stack.alert_feed is not None
        expected = {(j.name, r.name) for j in stack.config.journeys for r in stack.config.regions}
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                up = await _query(session, stack.prometheus_url, "up == 1")
                synthetic = await _query(
                    session, stack.prometheus_url, 'paywatch_authorizations_total{source="synthetic"}'
                )
                if len(up) == 2 and synthetic and set(stack.results.latest) == expected:
                    break
                await asyncio.sleep(0.2)
            jobs = {str(s["metric"]["job"]) for s in up}  # type: ignore[index]
        processes = list(stack.processes)
        outcomes = {key: r.outcome.value for key, r in stack.results.latest.items()}
        pages = [
            n for n in stack.alert_feed.notifications if n.status == "firing" and "Watchdog" not in n.alert_names()
        ]
    assert jobs == set(scrape_jobs().values())
    assert outcomes == dict.fromkeys(expected, "success")
    assert pages == []
    assert all(p.process.poll() is not None for p in processes), "Prometheus/Alertmanager left running"


def test_demo_command_runs_until_interrupted(tmp_path: Path) -> None:
    # a relative --workdir, as `make demo` passes: every process must still find its files
    command = [sys.executable, "-m", "paywatch", "demo", "--free-ports", "--traffic", "5", "--workdir", "demo"]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        try:
            process.wait(timeout=6)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "synthetic journeys" in text and "Prometheus" in text
    assert (tmp_path / "demo" / "prometheus" / "prometheus.yml").is_file()


def test_demo_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("probe:\n  amount_minor: -5\n")
    command = [sys.executable, "-m", "paywatch", "demo", "--config", str(bad), "--workdir", str(tmp_path / "w")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "probe.amount_minor" in result.stderr and "Traceback" not in result.stderr
