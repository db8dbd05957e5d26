"""One journey run: its context and clients, a span per run and per step, hard timeouts, results.

``JourneyRunner.run`` never raises for a failure of the system under watch; it returns the
``JourneyResult`` and hands it to every sink. Whatever it tracked for reversal it releases.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode, TracerProvider

from paywatch.cards import redact_pans
from paywatch.config import JourneySpec, PaywatchConfig, Region
from paywatch.taxonomy import Reason
from probes.context import JourneyContext
from probes.http_client import CardApiClient
from probes.iso_client import PosTerminalClient
from probes.journeys import Journey
from probes.results import JourneyOutcome, JourneyResult, ResultSink, StepResult
from probes.reversals import Reverser
from probes.steps.base import Step, authorization_record

__all__ = ["JourneyRunner", "deliver"]

log = logging.getLogger(__name__)

TRACER_NAME = "paywatch.probes"


def deliver(sinks: Sequence[ResultSink], result: JourneyResult) -> None:
    """Hand ``result`` to every sink; a failing sink is logged, never propagated."""
    for sink in sinks:
        try:
            sink.record_journey(result)
        except Exception:
            log.exception("result sink %s failed on record_journey", type(sink).__name__)


def _trace_id(span: Span) -> str | None:
    context = span.get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


class JourneyRunner:
    """Runs journeys against the configured targets; shared by ``--once`` and the scheduler."""

    def __init__(
        self,
        config: PaywatchConfig,
        reverser: Reverser,
        sinks: Sequence[ResultSink] = (),
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.config = config
        self.reverser = reverser
        self.sinks = list(sinks)
        provider = tracer_provider or trace.get_tracer_provider()
        self._tracer = provider.get_tracer(TRACER_NAME)

    async def run(self, spec: JourneySpec, region: Region, steps: Journey) -> JourneyResult:
        started_at = time.time()
        started = time.perf_counter()
        attributes = {"journey": spec.name, "region": region.name}
        with self._tracer.start_as_current_span(f"journey {spec.name}", attributes=attributes) as span:
            trace_id = _trace_id(span)
            # One client pair per run: a fresh HTTP connection and a fresh terminal connection.
            http = CardApiClient(self.config.targets.card_api, region.name)
            ctx = JourneyContext(
                self.config, spec, region, http, PosTerminalClient(self.config.targets.pos_host), self.reverser
            )
            results: list[StepResult] = []
            try:
                async with http, ctx.iso:
                    deadline = time.monotonic() + spec.timeout_s
                    for step in steps:
                        step_result = await self._step(ctx, step, deadline)
                        results.append(replace(step_result, trace_id=trace_id))
                        if not step_result.ok:
                            break
            finally:
                self.reverser.release(ctx.tracked)
            failed = next((r for r in results if not r.ok), None)
            reason = failed.reason if failed else Reason.APPROVED
            outcome = JourneyOutcome.FAILURE if failed else JourneyOutcome.SUCCESS
            span.set_attribute("outcome", outcome.value)
            span.set_attribute("reason", reason.value)
            if failed:
                span.set_attribute("step", failed.step)
                span.set_status(StatusCode.ERROR, f"{failed.step}: {reason.value}")
        result = JourneyResult(
            journey=spec.name,
            region=region.name,
            outcome=outcome,
            reason=reason,
            started_at=started_at,
            duration_s=time.perf_counter() - started,
            steps=tuple(results),
            trace_id=trace_id,
        )
        deliver(self.sinks, result)
        return result

    async def _step(self, ctx: JourneyContext, step: Step, deadline: float) -> StepResult:
        name = str(step.name)
        attributes = {"journey": ctx.journey.name, "region": ctx.region.name, "step": name}
        with self._tracer.start_as_current_span(f"step {name}", attributes=attributes) as span:
            budget = min(ctx.journey.step_timeout_s, deadline - time.monotonic())
            started = time.perf_counter()
            result = await self._guarded(ctx, step, name, budget)
            result = replace(result, step=name, duration_s=time.perf_counter() - started)
            span.set_attribute("outcome", result.outcome.value)
            span.set_attribute("reason", result.reason.value)
            if result.response_code is not None:
                span.set_attribute("response_code", result.response_code)
            for phase, seconds in result.phases.items():
                span.set_attribute(f"phase.{phase}_ms", round(seconds * 1000, 3))
            if not result.ok:
                span.set_status(StatusCode.ERROR, result.reason.value)
        return result

    async def _guarded(self, ctx: JourneyContext, step: Step, name: str, budget: float) -> StepResult:
        if budget <= 0:
            return StepResult(name, False, Reason.TIMEOUT, detail="journey timeout reached before the step")
        started = time.perf_counter()
        try:
            async with asyncio.timeout(budget):
                return await step.run(ctx)
        except TimeoutError:
            channel = getattr(step, "authorizes", None)
            record = (
                authorization_record(channel, Reason.TIMEOUT, time.perf_counter() - started, None) if channel else None
            )
            detail = f"no answer within {budget:.3g} s"
            return StepResult(name, False, Reason.TIMEOUT, detail=detail, authorization=record)
        except Exception as exc:
            # A bug in a step (ours or a user's) fails that step; it must not stop the probe.
            log.error("step %s of %s raised %s: %s", name, ctx.journey.name, type(exc).__name__, redact_pans(str(exc)))
            return StepResult(name, False, Reason.OTHER, detail=f"step raised {type(exc).__name__}")
