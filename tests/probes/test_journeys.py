"""Every built-in journey succeeds in every region of the default configuration."""

from __future__ import annotations

from paywatch.config import BUILTIN_JOURNEYS, PaywatchConfig
from probes import JourneyOutcome, run_once
from tests.probes.conftest import Admin


async def test_every_journey_succeeds_in_every_region(config: PaywatchConfig, admin: Admin) -> None:
    results = await run_once(config)
    seen = {(r.journey, r.region): r for r in results}
    assert set(seen) == {(j, r.name) for j in BUILTIN_JOURNEYS for r in config.regions}
    failures = {
        k: (r.reason.value, r.failed_step.step if r.failed_step else None)
        for k, r in seen.items()
        if r.outcome is not JourneyOutcome.SUCCESS
    }
    assert failures == {}
    assert all(r.trace_id is None or len(r.trace_id) == 32 for r in results)
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
