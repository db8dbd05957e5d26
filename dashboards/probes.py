"""Probes dashboard: which synthetic journey, step and region fails, why, how slow, and what it left behind.

Step, phase and hold panels come from the probe agent's own series (journey, step, region, phase, reason).
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.alertnames import Alert
from dashboards.options import GeneratorOptions
from dashboards.panels import DashboardLayout, query, stat, table, timeseries
from dashboards.shared import JOURNEY_DURATION_STEPS, SUCCESS_STEPS, journey_success, p95

__all__ = ["UID", "build"]

UID = "paywatch-probes"

_P = 'journey=~"$journey", region=~"$region"'
# the failure counter also counts the journey as a whole under step="journey"; step panels leave it out
_STEP = f'{_P}, step!="journey"'
_PHASE = "paywatch_probe_http_phase_duration_seconds"
_STEP_RUNS = (
    f"sum by (journey, step, region) (rate(paywatch_probe_step_duration_seconds_count{{{_STEP}}}[$__rate_interval]))"
)
_STEP_FAILS = f"sum by (journey, step, region) (rate(paywatch_probe_failures_total{{{_STEP}}}[$__rate_interval]))"


def build(options: GeneratorOptions) -> Dashboard:
    o = options
    layout = DashboardLayout(
        o,
        uid=UID,
        title="paywatch / Probes",
        description="Synthetic journeys: success per journey, step and region, step and phase latency, freshness, "
        "and authorizations the probes have not reversed yet.",
        tags=["probes", "synthetic"],
        filters=["region", "journey"],
    )
    layout.row(
        "Journeys",
        journey_success(
            o,
            "Journey success by region",
            "Share of successful runs (5m) per journey and region. A synthetic journey uses a card that "
            "should be approved, so any non-approval fails it.",
            _P,
            "{{journey}} {{region}}",
        ),
        stat(
            o,
            "Age of last success",
            "Seconds since each journey last succeeded in each region. Growing without failures on the "
            "other panels means the probe itself stopped running.",
            [
                query(
                    f"time() - max by (journey, region) (paywatch_probe_last_success_timestamp_seconds{{{_P}}})",
                    "{{journey}} {{region}}",
                )
            ],
            unit="s",
            steps=[(None, "green"), (90.0, "orange"), (300.0, "red")],
            runbooks=[Alert.PROBE_STALE],
        ),
        stat(
            o,
            "Open synthetic holds",
            "Synthetic authorizations approved and not yet reversed: credit the probes still hold. They "
            "should fall back to 0 once reversals get through.",
            [query(f"sum by (journey, region) (paywatch_probe_open_holds{{{_P}}})", "{{journey}} {{region}}")],
            unit="none",
            steps=[(None, "green"), (1.0, "orange"), (5.0, "red")],
            runbooks=[Alert.OPEN_HOLDS],
        ),
    )
    layout.row(
        "Steps",
        timeseries(
            o,
            "Step success by region",
            "Share of step executions that succeeded, per journey, step and region: the first failing step "
            "names the component (issuance, activation, funding, authorization, reversal).",
            [query(f"1 - (({_STEP_FAILS}) or ({_STEP_RUNS}) * 0) / ({_STEP_RUNS})", "{{journey}}/{{step}} {{region}}")],
            unit="percentunit",
            steps=SUCCESS_STEPS,
            runbooks=[Alert.ISSUANCE_FAILING, Alert.BINDING_FAILING, Alert.PROBE_FAILING],
            minimum=0,
            maximum=1,
            worst_first="lowest",
        ),
        timeseries(
            o,
            "Step latency p95",
            "95th percentile duration per journey, step and region.",
            [
                query(
                    p95("paywatch_probe_step_duration_seconds", "journey, step, region", _STEP),
                    "{{journey}}/{{step}} {{region}}",
                )
            ],
            unit="s",
            steps=[(None, "green"), (1.0, "orange"), (5.0, "red")],
            minimum=0,
        ),
        timeseries(
            o,
            "HTTP and ISO 8583 phases (mean per request)",
            "Where a request's time goes, averaged over all steps: dns, connect, tls, first_byte (HTTP) and "
            "connect, response (ISO 8583). Connect or tls growing means the network or the front; first_byte "
            "or response, the system behind it. Connections are reused, so connect is rare.",
            [
                query(
                    f"sum by (phase) (rate({_PHASE}_sum{{{_P}}}[$__rate_interval]))"
                    f" / sum by (phase) (rate({_PHASE}_count{{{_P}}}[$__rate_interval]))",
                    "{{phase}}",
                )
            ],
            unit="s",
            minimum=0,
        ),
        table(
            o,
            "Step failures by reason",
            "Failed steps over the selected time range per journey, step, region and reason.",
            [
                query(
                    "sum by (journey, step, region, reason) "
                    f"(increase(paywatch_probe_failures_total{{{_STEP}}}[$__range])) > 0",
                    instant=True,
                )
            ],
            unit="short",
            columns=["journey", "step", "region", "reason"],
            value_title="failed steps in range",
            decimals=0,
            runbooks=[Alert.PROBE_FAILING],
        ),
    )
    layout.row(
        "Runs",
        timeseries(
            o,
            "Probe runs by outcome",
            "Journey runs per second by journey and outcome: a flat zero means the scheduler is not running.",
            [
                query(
                    f"sum by (journey, outcome) (rate(paywatch_probe_runs_total{{{_P}}}[$__rate_interval]))",
                    "{{journey}} {{outcome}}",
                )
            ],
            unit="suffix: runs/s",
            stacked=True,
            runbooks=[Alert.PROBE_RUNS_STALLED],
            minimum=0,
        ),
        timeseries(
            o,
            "Journey duration p95",
            "95th percentile duration of whole journey runs per journey and region.",
            [query(p95("paywatch_probe_duration_seconds", "journey, region", _P), "{{journey}} {{region}}")],
            unit="s",
            steps=JOURNEY_DURATION_STEPS,
            minimum=0,
        ),
    )
    return layout.build()
