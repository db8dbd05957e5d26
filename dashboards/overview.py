"""Overview dashboard: are customers able to pay right now, and how much error budget is left?

The first page on-call opens: SLOs per channel, traffic and its outcome split, what is failing, what is alerting.
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.alertnames import Alert
from dashboards.options import GeneratorOptions
from dashboards.panels import DashboardLayout, query, stat, table, timeseries
from dashboards.shared import AUTH_FILTER, failure_reasons, journey_success

__all__ = ["UID", "build"]

UID = "paywatch-overview"

_F = AUTH_FILTER


def build(options: GeneratorOptions) -> Dashboard:
    o = options
    layout = DashboardLayout(
        o,
        uid=UID,
        title="paywatch / Overview",
        description="Can customers pay with the credit line, online and at the POS? SLOs, traffic, failures, alerts.",
        tags=["overview", "slo"],
        filters=["channel", "source", "region"],
    )
    layout.row(
        "Service level objectives",
        stat(
            o,
            "SLO attainment (3d)",
            "Share of good events over the longest window the rules hold (3 days; 4.8 h in the fast profile), "
            "per SLO, channel and source. Below the objective means the SLO is being missed.",
            [query(f"1 - slo:sli_error:ratio_rate3d{{{_F}}}", "{{slo}} {{channel}} {{source}}")],
            unit="percentunit",
            decimals=3,
            steps=[(None, "red"), (0.99, "orange"), (0.999, "green")],
            runbooks=[Alert.AVAILABILITY_BURN, Alert.LATENCY_BURN],
            span=8,
        ),
        stat(
            o,
            "Error budget left (3d)",
            "1 - (bad share over 3d / allowed bad share). At 0 the budget is spent; negative means overspent.",
            [query(f"slo:error_budget_remaining:ratio{{{_F}}}", "{{slo}} {{channel}} {{source}}")],
            unit="percentunit",
            decimals=1,
            steps=[(None, "red"), (0.0, "orange"), (0.25, "yellow"), (0.5, "green")],
            runbooks=[Alert.AVAILABILITY_BURN, Alert.LATENCY_BURN],
            span=8,
        ),
        timeseries(
            o,
            "Error budget burn rate (1h)",
            "How many times faster than allowed the budget is being spent. 14.4 over 1h pages (2% of a 30-day "
            "budget in an hour); 6 opens a ticket.",
            [
                query(
                    f"slo:sli_error:ratio_rate1h{{{_F}}} / on (slo, channel, source) slo:error_budget:ratio{{{_F}}}",
                    "{{slo}} {{channel}} {{source}}",
                )
            ],
            unit="suffix:x",
            steps=[(None, "green"), (6.0, "orange"), (14.4, "red")],
            runbooks=[Alert.AVAILABILITY_BURN, Alert.LATENCY_BURN],
            minimum=0,
            span=8,
        ),
    )
    layout.row(
        "Traffic and outcomes",
        timeseries(
            o,
            "Authorization rate",
            "Authorizations per second by source and channel (5m rate). A drop to zero in production with "
            "healthy probes points at traffic not reaching us, not at us failing.",
            [query(f"sum by (source, channel) (paywatch:authorizations:rate5m{{{_F}}})", "{{source}} {{channel}}")],
            unit="reqps",
            runbooks=[Alert.CHANNEL_DOWN],
            minimum=0,
        ),
        timeseries(
            o,
            "Approved / declined / failed",
            "Share of authorizations by outcome. Declines are business decisions (funds, fraud, limits); "
            "only failed counts against availability.",
            [
                query(
                    f"sum by (outcome) (paywatch:authorizations:rate5m{{{_F}}})"
                    f" / on () group_left () sum(paywatch:authorizations:rate5m{{{_F}}})",
                    "{{outcome}}",
                )
            ],
            unit="percentunit",
            runbooks=[Alert.AVAILABILITY_BURN],
            stacked=True,
            minimum=0,
            maximum=1,
        ),
    )
    layout.row(
        "What is failing",
        failure_reasons(
            o,
            "Top technical failure reasons",
            "Failed authorizations over the selected time range by reason (taxonomy), channel and source: "
            "issuer_unavailable, system_malfunction, timeout, interface_error...",
            ["reason", "channel", "source"],
            runbooks=[Alert.REASON_SPIKE, Alert.AVAILABILITY_BURN],
            top=10,
        ),
        table(
            o,
            "Active alerts",
            "Alerts firing or pending in Prometheus now (the ALERTS series; the always-firing Watchdog left "
            "out); pending ones fire once their 'for' duration passes. Click a row for the alert's runbook.",
            [
                query(
                    "max by (alertname, alertstate, severity, slo, channel, source, journey, region) "
                    '(ALERTS{alertstate=~"firing|pending", alertname!="Watchdog"})',
                    instant=True,
                )
            ],
            unit="none",
            columns=["alertname", "severity", "alertstate", "channel", "source", "journey", "region", "slo"],
            value_title=None,
            cell_link=("Runbook", o.runbook_url("${__data.fields.alertname}")),
        ),
    )
    layout.row(
        "Synthetic journeys and telemetry",
        journey_success(
            o,
            "Journey success by region",
            "Share of synthetic journey runs that succeed (5m), per journey and region: a failing region "
            "with healthy others narrows the search to that region's path.",
            'region=~"$region"',
            "{{journey}} {{region}}",
            span=16,
        ),
        stat(
            o,
            "Telemetry up",
            "Whether Prometheus can scrape the probe agent and the authorization-log exporter. 0 means the "
            "dashboards above are blind for that source, not that payments are fine.",
            [query('up{job=~"paywatch-probe|paywatch-authlog"}', "{{job}}")],
            unit="none",
            steps=[(None, "red"), (1.0, "green")],
            value_text={1: "up", 0: "DOWN"},
            runbooks=[Alert.TELEMETRY_DOWN],
            span=8,
        ),
    )
    return layout.build()
