"""Production versus synthetic: do customers and probes see the same system, and where do they differ?

Probes failing alone points at the probe path or test cards; customers failing alone points at a coverage gap.
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.alertnames import Alert
from dashboards.options import GeneratorOptions
from dashboards.panels import DashboardLayout, query, stat, timeseries
from dashboards.shared import AUTH_FILTER, AUTH_LATENCY_STEPS, failure_ratio, failure_reasons

__all__ = ["UID", "build"]

UID = "paywatch-prod-vs-synthetic"

_F = AUTH_FILTER
_C = 'channel=~"$channel"'


def _availability(source: str) -> str:
    return f'slo:sli_error:ratio_rate5m{{slo="availability", source="{source}", {_C}}}'


def build(options: GeneratorOptions) -> Dashboard:
    o = options
    layout = DashboardLayout(
        o,
        uid=UID,
        title="paywatch / Production vs synthetic",
        description="Do production traffic and synthetic probes agree on availability and latency? Where not, why.",
        tags=["comparison", "synthetic", "production"],
        filters=["channel", "source"],
    )
    layout.row(
        "Do the two views agree?",
        stat(
            o,
            "Failure ratio gap: synthetic minus production (5m)",
            "Near 0: both views agree. Positive: probes fail where customers do not (probe path, test cards, "
            "or too little production traffic to show it). Negative: customers fail while probes pass "
            "(a case the journeys do not cover).",
            [query(f"{_availability('synthetic')} - ignoring (source) {_availability('production')}", "{{channel}}")],
            unit="percentunit",
            decimals=2,
            steps=[(None, "red"), (-0.05, "green"), (0.05, "orange")],
            runbooks=[Alert.VIEWS_DISAGREE],
            span=8,
        ),
        failure_ratio(
            o,
            "Failure ratio: production vs synthetic",
            "Availability SLI (share failed, 5m) for each source and channel on one axis.",
            "{{source}} {{channel}}",
            runbooks=[Alert.AVAILABILITY_BURN],
            span=16,
        ),
    )
    layout.row(
        "Latency",
        timeseries(
            o,
            "Latency p99: production vs synthetic",
            "p99 authorization latency (5m) per source and channel. Synthetic much slower than production "
            "suggests the probe's own network path; the reverse, load the probes do not generate.",
            [query(f"paywatch:authorization_duration_seconds:p99_5m{{{_F}}}", "{{source}} {{channel}}")],
            unit="s",
            steps=AUTH_LATENCY_STEPS,
            runbooks=[Alert.LATENCY_P99],
            minimum=0,
        ),
        timeseries(
            o,
            "Slow share: production vs synthetic",
            "Latency SLI: share of authorizations slower than the SLO threshold (5m; 1 s production, 2.5 s "
            "synthetic). The objectives allow 1% (production) and 5% (synthetic).",
            [query(f'slo:sli_error:ratio_rate5m{{slo="latency", {_F}}}', "{{source}} {{channel}}")],
            unit="percentunit",
            steps=[(None, "green"), (0.01, "orange"), (0.05, "red")],
            runbooks=[Alert.LATENCY_BURN],
            minimum=0,
        ),
    )
    layout.row(
        "Where they differ",
        failure_reasons(
            o,
            "Failure reasons by source",
            "Failed authorizations over the selected range by source, reason and channel: a reason seen by "
            "one source only tells which path is broken.",
            ["source", "reason", "channel"],
            runbooks=[Alert.VIEWS_DISAGREE, Alert.AVAILABILITY_BURN],
        ),
        timeseries(
            o,
            "Decline ratio by source",
            "Share declined (business decisions) per source and channel. Synthetic cards should never be "
            "declined: a synthetic decline is a test-card or limit problem, not an outage.",
            [
                query(
                    # "or ... * 0": a source without declines shows 0, not a missing line
                    f'(sum by (source, channel) (paywatch:authorizations:rate5m{{outcome="declined", {_F}}})'
                    f" or sum by (source, channel) (paywatch:authorizations:rate5m{{{_F}}}) * 0)"
                    f" / sum by (source, channel) (paywatch:authorizations:rate5m{{{_F}}})",
                    "{{source}} {{channel}}",
                )
            ],
            unit="percentunit",
            minimum=0,
        ),
        timeseries(
            o,
            "Events per second by source",
            "SLI events per second (5m). With little production traffic a single failure swings its ratio; "
            "trust the synthetic view more then.",
            [query(f'slo:events:rate5m{{slo="availability", {_F}}}', "{{source}} {{channel}}")],
            unit="reqps",
            minimum=0,
        ),
        timeseries(
            o,
            "Authorization log lag",
            "How far the production view trails the authorization log. A lagging exporter makes production "
            "look calm while probes already fail.",
            [query("max(paywatch_authlog_lag_seconds)", "lag")],
            unit="s",
            steps=[(None, "green"), (30.0, "orange"), (120.0, "red")],
            runbooks=[Alert.AUTHLOG_STALLED],
            minimum=0,
        ),
    )
    return layout.build()
