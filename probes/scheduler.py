"""When journeys run: once each (``run_once``) or continuously (``run_probes``) until stopped.

The scheduler owns intervals (scaled by ``config.scale``), jitter and the concurrency cap per
journey and region; on stop it cancels running journeys and attempts pending reversals first.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry.trace import TracerProvider

from paywatch.config import ConfigError, JourneySpec, PaywatchConfig, Region
from probes.http_client import CardApiClient
from probes.journeys import Journey, build_journey, journey_regions
from probes.results import JourneyResult, ResultSink
from probes.reversals import Reverser
from probes.runner import JourneyRunner

__all__ = ["Planned", "plan", "run_once", "run_probes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Planned:
    spec: JourneySpec
    region: Region
    steps: Journey


def plan(config: PaywatchConfig, regions: Sequence[str] = (), journeys: Sequence[str] = ()) -> list[Planned]:
    """Every enabled journey (or those named) in every region it runs in (or those named).

    Builds user journeys and checks the card API headers now, so a bad module or key fails at
    start with ``ConfigError``."""
    out: list[Planned] = []
    for spec in config.journeys:
        if not spec.enabled or (journeys and spec.name not in journeys):
            continue
        steps = build_journey(spec)
        out.extend(Planned(spec, region, steps) for region in journey_regions(config, spec, regions))
    for region in {p.region.name for p in out}:
        try:
            CardApiClient(config.targets.card_api, region)  # its headers are checked once, here
        except ValueError as exc:
            raise ConfigError(f"targets.card_api: {exc}") from None
    return out


def _drain_budget(config: PaywatchConfig) -> float:
    """How long shutdown and ``--once`` keep retrying reversals: a few step timeouts, and past
    the longest journey timeout, so an unanswered POS authorization's repeat is included."""
    longest_step = max((j.step_timeout_s for j in config.journeys), default=5.0)
    longest_journey = max((j.timeout_s for j in config.journeys), default=20.0)
    return max(3 * longest_step, longest_journey + 1.0)


async def run_once(
    config: PaywatchConfig,
    sinks: Sequence[ResultSink] = (),
    tracer_provider: TracerProvider | None = None,
    *,
    regions: Sequence[str] = (),
    journeys: Sequence[str] = (),
    reverser: Reverser | None = None,
    drain_timeout_s: float | None = None,
) -> list[JourneyResult]:
    """Run each selected journey once in each selected region, concurrently; then reverse what
    is pending (bounded), leaving what still fails persisted for the next start."""
    planned = plan(config, regions, journeys)
    owned = reverser is None
    if reverser is None:
        reverser = Reverser(config, sinks)
        reverser.load()
    try:
        runner = JourneyRunner(config, reverser, sinks, tracer_provider)
        results = await asyncio.gather(*(runner.run(p.spec, p.region, p.steps) for p in planned))
        left = await reverser.drain(drain_timeout_s if drain_timeout_s is not None else _drain_budget(config))
        if left:
            log.warning("%d reversals still pending, persisted in %s", left, reverser.path)
    finally:
        if owned:
            reverser.close()
    return list(results)


class _Loop:
    """One journey in one region, on its interval, at most ``spec.concurrency`` runs at a time."""

    def __init__(self, runner: JourneyRunner, planned: Planned, scale: float) -> None:
        self._runner = runner
        self._planned = planned
        self._interval = planned.spec.interval_s * scale
        self._running: set[asyncio.Task[JourneyResult]] = set()
        self.skipped = 0
        """Due runs skipped at the cap, in all; a slow target skips many, and logs once per streak."""
        self._streak = 0

    def _delay(self) -> float:
        jitter = self._planned.spec.jitter
        return self._interval * (1 + random.uniform(-jitter, jitter))

    async def run(self, stop: asyncio.Event) -> None:
        spec, region = self._planned.spec, self._planned.region
        try:
            # Spread the first runs so regions and journeys do not fire in lockstep.
            stopped = await _wait(stop, random.uniform(0, self._interval * max(spec.jitter, 0.05)))
            while not stopped:
                if len(self._running) < spec.concurrency:
                    self._end_skips()
                    task = asyncio.create_task(self._runner.run(spec, region, self._planned.steps))
                    self._running.add(task)
                    task.add_done_callback(self._done)
                else:
                    self._skip()
                stopped = await _wait(stop, self._delay())
        finally:
            running = list(self._running)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _skip(self) -> None:
        self.skipped += 1
        self._streak += 1
        if self._streak == 1:
            spec, region = self._planned.spec, self._planned.region
            log.warning(
                "%s in %s: %d runs still going at the concurrency cap, skipping due runs until one ends",
                spec.name,
                region.name,
                len(self._running),
            )

    def _end_skips(self) -> None:
        if self._streak:
            spec, region = self._planned.spec, self._planned.region
            log.info("%s in %s: running again after %d skipped runs", spec.name, region.name, self._streak)
            self._streak = 0

    def _done(self, task: asyncio.Task[JourneyResult]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("journey %s crashed: %r", self._planned.spec.name, task.exception())


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop``; True when stopped."""
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        return False
    return True


async def run_probes(
    config: PaywatchConfig,
    sinks: Sequence[ResultSink] = (),
    tracer_provider: TracerProvider | None = None,
    stop_event: asyncio.Event | None = None,
    *,
    regions: Sequence[str] = (),
    journeys: Sequence[str] = (),
    reverser: Reverser | None = None,
) -> None:
    """Run the selected journeys continuously until ``stop_event`` is set (or the task is cancelled).

    Pending reversals from an earlier process are resumed at start; at stop, running journeys are
    cancelled and every pending reversal is attempted before returning."""
    stop = stop_event or asyncio.Event()
    planned = plan(config, regions, journeys)
    owned = reverser is None
    if reverser is None:
        reverser = Reverser(config, sinks)
        reverser.load()
    runner = JourneyRunner(config, reverser, sinks, tracer_provider)
    retry_stop = asyncio.Event()
    retry = asyncio.create_task(reverser.run(retry_stop))
    loops = [asyncio.create_task(_Loop(runner, p, config.scale).run(stop)) for p in planned]
    try:
        await asyncio.gather(*loops)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        retry_stop.set()
        await asyncio.gather(retry, return_exceptions=True)
        left = await asyncio.shield(reverser.drain(_drain_budget(config)))
        if left:
            log.warning("%d reversals still pending at shutdown, persisted in %s", left, reverser.path)
        if owned:
            reverser.close()
