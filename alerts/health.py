"""Alerts on the watchers themselves: scrape jobs down or missing, probes that stopped succeeding or running,
a silent authorization log, synthetic holds left open, and the always-firing Watchdog."""

from __future__ import annotations

from alerts.building import AUTHLOG_JOB, PROBE_JOB, Rule, Scale, alert, ran_a_whole_window
from alerts.spec import AlertSpec, format_duration

__all__ = ["health_rules", "synthetic_holds"]


def _scrape_jobs(spec: AlertSpec, scale: Scale) -> list[Rule]:
    t = spec.thresholds.telemetry
    blind = "Every alert built on it is blind (and muted) until it is back: payments are unwatched."
    out: list[Rule] = []
    for job in (PROBE_JOB, AUTHLOG_JOB):
        # Two rules: absent() gets the longer `for`, since up{} is missing at every Prometheus start until its
        # first scrape, which comes on Prometheus's fixed 5 s discovery tick, not on the profile's clock.
        for expr, for_, summary, what, cause in (
            (
                f'up{{job="{job}"}} == 0',
                t.for_,
                f"Prometheus cannot scrape {job}",
                f"Scrapes of the {job} target at {{{{ $labels.instance }}}} have failed",
                ".",
            ),
            (
                f'absent(up{{job="{job}"}})',
                t.absent_for,
                f"Prometheus has no {job} target to scrape",
                f"The {job} scrape job has had no target",
                ": its configuration or service discovery lost it.",
            ),
        ):
            out.append(
                alert(
                    "PaywatchTelemetryDown",
                    expr,
                    for_=scale(for_),
                    labels={"severity": "page", "job": job},
                    summary=summary,
                    description=f"{what} for {scale(for_)}{cause} {blind}",
                    dashboard="probes" if job == PROBE_JOB else "overview",
                )
            )
    return out


def _probe_staleness(spec: AlertSpec, scale: Scale) -> list[Rule]:
    t = spec.thresholds.stale
    limit = f"{t.no_success_for * scale.time_scale:g}"
    window = scale(t.no_success_for)
    no_run = max(t.no_run_for * scale.time_scale, t.no_run_for_at_least)
    # The second branch is a journey that has not succeeded once since its agent started a whole limit ago:
    # it has no success timestamp at all, so the first branch cannot see it.
    no_success = f"""
time() - paywatch_probe_last_success_timestamp_seconds > {limit}
or on (journey, region)
(
  {limit} * {ran_a_whole_window(scale, ".+", t.no_success_for)}
  unless on (journey, region)
  max_over_time(paywatch_probe_last_success_timestamp_seconds[{window}])
)
"""
    return [
        alert(
            "PaywatchProbeNoRecentSuccess",
            no_success,
            for_=scale(t.for_),
            labels={"severity": "ticket", "exporter": PROBE_JOB},
            summary="No successful {{ $labels.journey }} run in {{ $labels.region }} for "
            "{{ $value | humanizeDuration }}",
            description=(
                "No {{ $labels.journey }} probe run in {{ $labels.region }} has succeeded for "
                f"{{{{ $value | humanizeDuration }}}} (limit {window}) while the agent keeps running it: the journey "
                "has been broken there for a long time."
            ),
            dashboard="probes",
        ),
        alert(
            "PaywatchProbeRunsStalled",
            f"time() - paywatch_probe_last_run_timestamp_seconds > {no_run:g}",
            for_=scale(t.for_),
            labels={"severity": "ticket", "exporter": PROBE_JOB},
            summary="{{ $labels.journey }} probes in {{ $labels.region }} stopped running",
            description=(
                "No {{ $labels.journey }} run in {{ $labels.region }} has ended for {{ $value | humanizeDuration }} "
                f"(limit {format_duration(no_run)}) although the probe agent answers scrapes: its scheduler is "
                "stuck, so the synthetic view of this region is frozen."
            ),
            dashboard="probes",
        ),
        alert(
            "PaywatchAuthLogStalled",
            "time() - paywatch_authlog_newest_event_timestamp_seconds "
            f"> {t.log_silent_for * scale.time_scale:g}\n"
            "and paywatch_authlog_newest_event_timestamp_seconds > 0",
            for_=scale(t.for_),
            labels={"severity": "ticket", "exporter": AUTHLOG_JOB},
            summary="The authorization log has been silent for {{ $value | humanizeDuration }}",
            description=(
                "The newest production authorization the authlog exporter has read is {{ $value | humanizeDuration }} "
                f"old (limit {scale(t.log_silent_for)}). Either no one is paying (an outage upstream of the "
                "log) or the log pipeline stopped: production SLOs are blind."
            ),
            dashboard="overview",
        ),
    ]


def synthetic_holds(spec: AlertSpec, scale: Scale) -> Rule:
    return alert(
        "PaywatchSyntheticHoldsOpen",
        "max by (journey, region) (paywatch_probe_open_holds) > 0",
        for_=scale(spec.thresholds.holds.for_),
        labels={"severity": "ticket", "exporter": PROBE_JOB},
        summary="{{ $value }} synthetic holds left unreversed by {{ $labels.journey }} in {{ $labels.region }}",
        description=(
            "{{ $value }} synthetic authorizations approved by the {{ $labels.journey }} probe in {{ $labels.region }} "
            f"have not been reversed for {scale(spec.thresholds.holds.for_)}. They hold money on the test credit line "
            "and, at a real acquirer, show up in settlement."
        ),
        dashboard="probes",
    )


def _watchdog() -> Rule:
    return alert(
        "Watchdog",
        "vector(1)",
        for_=None,
        labels={"severity": "none"},
        summary="Always firing: proves the alerting pipeline works end to end",
        description=(
            "Fires all the time and is sent to a dead man's switch. When the switch stops hearing it, Prometheus, "
            "the rules or Alertmanager are broken and no other alert would reach anyone."
        ),
        dashboard="overview",
    )


def health_rules(spec: AlertSpec, scale: Scale) -> list[Rule]:
    """The paywatch-telemetry group: scrape jobs, probe and log staleness, and the Watchdog last."""
    return [*_scrape_jobs(spec, scale), *_probe_staleness(spec, scale), _watchdog()]
