"""The probes' ResultSink that turns journey results into the contract's metric families.

Latency histograms and failure counters carry the run's trace id as an exemplar, so a dashboard
can jump from a slow bucket or a failure spike to the trace that shows it.
"""

from __future__ import annotations

import logging
import re

from prometheus_client import CollectorRegistry

from exporters.metrics import LabelGuard, ProbeFamilies
from paywatch.config import BUILTIN_JOURNEYS, PaywatchConfig
from probes.results import JourneyOutcome, JourneyResult, StepResult

__all__ = ["ProbeMetrics", "exemplar_for"]

log = logging.getLogger(__name__)

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def exemplar_for(trace_id: str | None) -> dict[str, str] | None:
    """``{"trace_id": ...}`` for a valid W3C trace id; anything else gets no exemplar."""
    if trace_id and _TRACE_ID.fullmatch(trace_id) and trace_id != "0" * 32:
        return {"trace_id": trace_id}
    return None


class ProbeMetrics:
    """``ResultSink`` writing to ``registry``; never raises (errors are logged and counted)."""

    sink_name = "probe_metrics"

    def __init__(self, registry: CollectorRegistry, config: PaywatchConfig) -> None:
        self.families = ProbeFamilies(registry)
        journeys = {j.name for j in config.journeys} | set(BUILTIN_JOURNEYS)
        self.guard = LabelGuard(journeys, (r.name for r in config.regions))
        self._initialise(config)

    def _initialise(self, config: PaywatchConfig) -> None:
        # Series exist from the first scrape, so rate() and absent() rules see zeros, not gaps.
        f = self.families
        f.sink_errors.labels(self.sink_name)
        for journey in config.journeys:
            if not journey.enabled:
                continue
            for region in journey.regions or [r.name for r in config.regions]:
                for outcome in JourneyOutcome:
                    f.runs.labels(journey.name, region, outcome.value)
                # None known until the reverser reports (it does so as soon as it loads its state).
                f.open_holds.labels(journey.name, region).set(0)

    def record_journey(self, result: JourneyResult) -> None:
        try:
            self._record(result)
        except Exception:
            log.exception("could not record journey %r", getattr(result, "journey", "?"))
            self.families.sink_errors.labels(self.sink_name).inc()

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        try:
            self.families.open_holds.labels(self.guard.journey(journey), self.guard.region(region)).set(count)
        except Exception:
            log.exception("could not record open holds")
            self.families.sink_errors.labels(self.sink_name).inc()

    def _record(self, result: JourneyResult) -> None:
        f, g = self.families, self.guard
        journey, region = g.journey(result.journey), g.region(result.region)
        exemplar = exemplar_for(result.trace_id)
        ended = result.started_at + result.duration_s
        f.runs.labels(journey, region, result.outcome.value).inc(exemplar=exemplar)
        f.duration.labels(journey, region).observe(result.duration_s, exemplar=exemplar)
        f.last_run.labels(journey, region).set(ended)
        if result.outcome is JourneyOutcome.SUCCESS:
            f.last_success.labels(journey, region).set(ended)
        for step in result.steps:
            self._record_step(journey, region, step, exemplar_for(step.trace_id) or exemplar)
        if result.outcome is JourneyOutcome.FAILURE and result.failed_step is None:
            # The run failed outside any step (overall timeout, set-up): still a failure with a reason.
            f.failures.labels(journey, "journey", region, g.reason(result.reason)).inc(exemplar=exemplar)

    def _record_step(self, journey: str, region: str, step: StepResult, exemplar: dict[str, str] | None) -> None:
        f, g = self.families, self.guard
        name = g.step(step.step)
        f.step_duration.labels(journey, name, region).observe(step.duration_s, exemplar=exemplar)
        for phase, seconds in step.phases.items():
            f.phase_duration.labels(journey, name, region, g.phase(phase)).observe(seconds, exemplar=exemplar)
        if not step.ok:
            f.failures.labels(journey, name, region, g.reason(step.reason)).inc(exemplar=exemplar)
        auth = step.authorization
        if auth is not None:
            channel = g.channel(auth.channel)
            outcome, reason = g.auth_outcome(auth.outcome), g.reason(auth.reason)
            f.authorizations.labels("synthetic", channel, outcome, reason).inc(exemplar=exemplar)
            f.authorization_duration.labels("synthetic", channel).observe(auth.duration_s, exemplar=exemplar)
