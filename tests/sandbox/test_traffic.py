"""The organic traffic generator: a bounded run at a small rate through the sandbox's own ports."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from paywatch.cards import find_pans
from paywatch.config import PaywatchConfig
from sandbox import FaultSpec, RunningSandbox, start_sandbox
from sandbox.traffic import TrafficGenerator


def _generator(sandbox: RunningSandbox, rate: float, duration_s: float) -> TrafficGenerator:
    return TrafficGenerator(
        sandbox.config,
        sandbox.portfolio,
        sandbox.ledger,
        http_url=sandbox.http_url,
        iso_address=(sandbox.iso_host, sandbox.iso_port),
        rate=rate,
        duration_s=duration_s,
    )


async def test_bounded_run_mixes_approvals_and_declines_and_settles_its_holds(sandbox: RunningSandbox) -> None:
    generator = _generator(sandbox, rate=40, duration_s=2.0)
    generator.start()
    await generator.wait()
    await generator.stop()
    assert generator.sent >= 40
    assert generator.outcomes["approved"] > generator.outcomes["declined"] > 0
    events = [json.loads(line) for line in sandbox.event_log.read_text().splitlines()]
    assert len(events) == generator.sent
    channels = Counter(e["channel"] for e in events)
    assert channels["online"] > 0 and channels["pos"] > 0
    assert {e["source"] for e in events} == {"production"}
    reasons = {e["reason"] for e in events}
    assert "approved" in reasons and reasons & {"insufficient_funds", "expired_card", "invalid_card", "not_permitted"}
    # every approval was captured or reversed: production holds do not pile up
    assert sandbox.ledger.summary()["open_holds_by_source"]["production"] == 0
    assert find_pans(sandbox.event_log.read_text()) == []


async def test_exhausted_production_lines_are_repaid(sandbox: RunningSandbox) -> None:
    line = sandbox.ledger.credit_lines[sandbox.portfolio.healthy[0].credit_line_id]
    line.used = line.limit
    generator = _generator(sandbox, rate=10, duration_s=0.3)
    generator.start()
    await generator.wait()
    await generator.stop()
    assert line.used < line.limit


async def test_start_sandbox_with_traffic_produces_events_and_stops_cleanly(
    config: PaywatchConfig, tmp_path: Path
) -> None:
    log = tmp_path / "events.jsonl"
    async with start_sandbox(config, http_port=0, iso_port=0, event_log=log, traffic_rate=50) as sandbox:
        assert sandbox.traffic is not None
        for _ in range(100):
            await asyncio.sleep(0.05)
            if sandbox.traffic.sent >= 10 and log.stat().st_size > 0:
                break
        sent = sandbox.traffic.sent
    assert sent >= 10
    assert log.read_text().count("\n") >= 1
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert leftovers == []


async def test_injected_faults_hit_organic_traffic_too(sandbox: RunningSandbox) -> None:

    sandbox.faults.add(FaultSpec.model_validate({"target": "issuer", "effect": "error", "probability": 0.5}))
    generator = _generator(sandbox, rate=40, duration_s=1.0)
    generator.start()
    await generator.wait()
    await generator.stop()
    events = [json.loads(line) for line in sandbox.event_log.read_text().splitlines()]
    failed = Counter((e["channel"], e["response_code"]) for e in events if e["outcome"] == "failed")
    assert failed[("online", "96")] > 0 and failed[("pos", "96")] > 0
    assert generator.outcomes["failed"] == sum(failed.values())
