"""A real Prometheus (fast-profile rules, 1 s scrapes) scraping two exporters fed with made-up traffic.

For the snapshot tests, which are about drawing panels, not about the stack: the feed is deterministic
(seeded), bounded in time (it stops with the block) and includes failures so failure panels have data.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CollectorRegistry

import alerts
from dashboards.snapshot import PrometheusClient
from exporters import ProbeFamilies, ProbeMetrics, serve_metrics
from paywatch.config import PROFILES, default_config
from paywatch.processes import prometheus_config, start_prometheus
from paywatch.taxonomy import Outcome, Reason
from probes.results import AuthorizationRecord, JourneyOutcome, JourneyResult, StepResult

__all__ = ["fed_prometheus", "wait_for_samples"]

_JOURNEY_STEPS = {
    "virtual_card_online": (("issue_card", None), ("activate_card", None), ("authorize", "online"), ("reverse", None)),
    "pos_purchase": (("authorize", "pos"), ("reverse", None)),
    "credit_line_binding": (("issue_card", None), ("check_funding", None)),
}
_TRACE = "4bf92f3577b34da6a3ce929d0e0e47{:02x}"


def _journey(rng: random.Random, journey: str, region: str, tick: int) -> JourneyResult:
    steps = []
    # the west region fails a third of its POS runs: a regional problem for the panels to show
    failing = journey == "pos_purchase" and region == "west" and tick % 3 == 0
    for name, channel in _JOURNEY_STEPS[journey]:
        ok = not (failing and name == "authorize")
        duration = rng.uniform(0.05, 0.4) if ok else 2.0
        auth = None
        if channel is not None:
            outcome, reason = (Outcome.APPROVED, Reason.APPROVED) if ok else (Outcome.FAILED, Reason.ISSUER_UNAVAILABLE)
            auth = AuthorizationRecord(channel, outcome, reason, duration, "00" if ok else "91")
        phases = {"connect": duration * 0.1, "response": duration * 0.8} if channel == "pos" else {
            "dns": 0.001, "connect": duration * 0.1, "first_byte": duration * 0.7}  # fmt: skip
        steps.append(
            StepResult(
                name,
                ok,
                Reason.APPROVED if ok else Reason.ISSUER_UNAVAILABLE,
                duration,
                phases=phases,
                authorization=auth,
                trace_id=_TRACE.format(tick % 256),
            )
        )
        if not ok:
            break
    failed = next((s for s in steps if not s.ok), None)
    return JourneyResult(
        journey, region, JourneyOutcome.FAILURE if failed else JourneyOutcome.SUCCESS,
        failed.reason if failed else Reason.APPROVED, time.time(), sum(s.duration_s for s in steps), tuple(steps),
        trace_id=_TRACE.format(tick % 256),
    )  # fmt: skip


async def _feed(probe: ProbeMetrics, production: ProbeFamilies) -> None:
    rng = random.Random(8583)
    config = default_config()
    tick = 0
    while True:
        for journey in _JOURNEY_STEPS:
            for region in config.regions:
                probe.record_journey(_journey(rng, journey, region.name, tick))
                probe.set_open_holds(journey, region.name, tick % 2)
        for _ in range(10):
            channel = rng.choice(("online", "pos"))
            roll = rng.random()
            if roll < 0.85:
                outcome, reason = "approved", "approved"
            elif roll < 0.95:
                outcome, reason = "declined", "insufficient_funds"
            else:
                outcome, reason = "failed", rng.choice(("system_malfunction", "timeout"))
            production.authorizations.labels("production", channel, outcome, reason).inc()
            production.authorization_duration.labels("production", channel).observe(rng.uniform(0.01, 1.5))
        tick += 1
        await asyncio.sleep(0.1)


async def wait_for_samples(url: str, samples: int, timeout_s: float = 40.0) -> None:
    """Until both jobs have ``samples`` scrapes and the recording rules answer. Prometheus only starts
    scraping a few seconds after it is ready (its scrape manager applies target updates every 5 s)."""
    ready = (
        f'min(count_over_time(up{{job=~"paywatch-.*"}}[1m])) >= {samples}'
        " and on () count(paywatch:probe_success:ratio_rate5m) > 0"
    )
    deadline = time.monotonic() + timeout_s
    async with PrometheusClient(url) as client:
        while time.monotonic() < deadline:
            if await client.query(ready, time.time()):
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{url}: fewer than {samples} scrapes after {timeout_s:g} s")


@contextlib.asynccontextmanager
async def fed_prometheus(workdir: Path, *, samples: int = 8) -> AsyncIterator[str]:
    """Yield the URL of a Prometheus that has scraped fed traffic ``samples`` times and evaluated the
    recording rules on it; traffic goes on until the block exits."""
    probe_registry, authlog_registry = CollectorRegistry(), CollectorRegistry()
    probe = ProbeMetrics(probe_registry, default_config())
    production = ProbeFamilies(authlog_registry, component="authlog")
    scale = PROFILES["fast"]
    async with (
        serve_metrics(probe_registry) as probe_server,
        serve_metrics(authlog_registry) as authlog_server,
    ):
        feeder = asyncio.create_task(_feed(probe, production))
        rules = alerts.rule_files(scale)
        config = prometheus_config(
            scrape_jobs={
                "paywatch-probe": [f"127.0.0.1:{probe_server.port}"],
                "paywatch-authlog": [f"127.0.0.1:{authlog_server.port}"],
            },
            rule_files=sorted(rules),
            alertmanager=None,
            interval_s=1.0,
        )
        prometheus = await start_prometheus(workdir, config, rules)
        try:
            await wait_for_samples(prometheus.url, samples)
            yield prometheus.url
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeder
            await prometheus.stop()
