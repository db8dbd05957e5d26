"""The scheduler: concurrency cap per journey and region, and sinks that fail without stopping the probe."""

from __future__ import annotations

import asyncio
import logging

import pytest

from paywatch.config import JourneySpec, PaywatchConfig
from probes import JourneyOutcome, JourneyResult, run_once, run_probes
from tests.probes.conftest import Admin
from tests.probes.user_journey import SlowEcho


class _Counting:
    def __init__(self, stop_after: int) -> None:
        self.results: list[JourneyResult] = []
        self.stop = asyncio.Event()
        self._stop_after = stop_after

    def record_journey(self, result: JourneyResult) -> None:
        self.results.append(result)
        if len(self.results) >= self._stop_after:
            self.stop.set()

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        pass


async def test_runs_never_exceed_the_concurrency_cap_and_skips_log_once_per_streak(
    config: PaywatchConfig, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    # Runs take 0.3 s and are due every 0.02 s: only the cap keeps them from piling up.
    await admin.inject(target="pos_host", effect="latency", latency_ms=300, region="north")
    spec = JourneySpec(
        name="slow",
        module="tests.probes.user_journey:slow_journey",
        interval_s=0.02,
        jitter=0.0,
        concurrency=2,
        step_timeout_s=1.0,
        timeout_s=1.0,
        regions=["north"],
    )
    config = config.model_copy(update={"journeys": [spec]})
    sink = _Counting(stop_after=6)
    SlowEcho.active = SlowEcho.most = SlowEcho.runs = 0
    await asyncio.wait_for(run_probes(config, [sink], stop_event=sink.stop), timeout=20)
    assert SlowEcho.most == 2
    assert all(r.outcome is JourneyOutcome.SUCCESS for r in sink.results)
    assert SlowEcho.active == 0  # runs still going at stop were cancelled and cleaned up
    # About fifteen due runs are skipped per run; a warning for each would flood the log.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "skipping due runs" in r.getMessage()]
    assert 1 <= len(warnings) <= SlowEcho.runs


class _Broken:
    def record_journey(self, result: JourneyResult) -> None:
        raise RuntimeError("metrics backend down")

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        raise RuntimeError("metrics backend down")


async def test_a_failing_sink_does_not_stop_the_probe_or_the_other_sinks(config: PaywatchConfig) -> None:
    good = _Counting(stop_after=10**6)
    results = await run_once(config, [_Broken(), good], regions=["south"])
    assert len(results) == 3 and len(good.results) == 3
    assert all(r.outcome is JourneyOutcome.SUCCESS for r in results)


async def test_journey_timeout_cuts_the_running_step_and_its_authorization_is_reversed(
    config: PaywatchConfig, admin: Admin
) -> None:
    # Every card API call takes 0.3 s; the run may take 0.8 s: the third call runs out of time.
    await admin.inject(target="card_api", effect="latency", latency_ms=300, region="west")
    spec = JourneySpec(name="virtual_card_online", step_timeout_s=0.5, timeout_s=0.8, regions=["west"])
    config = config.model_copy(update={"journeys": [spec]})
    [result] = await run_once(config, drain_timeout_s=5)
    assert [(s.step, s.reason.value) for s in result.steps] == [
        ("issue_card", "approved"),
        ("activate_card", "approved"),
        ("authorize_online", "timeout"),
    ]
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
