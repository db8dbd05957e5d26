"""Channels dashboard: online (card API) versus POS (ISO 8583), per region, with latency down to the trace.

Region panels use synthetic journeys, the only series that carry a region; latency comes from both sources.
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.alertnames import Alert
from dashboards.options import JOURNEY_CHANNEL, GeneratorOptions
from dashboards.panels import DashboardLayout, PanelBuilder, heatmap, query, timeseries
from dashboards.shared import (
    AUTH_FILTER,
    AUTH_LATENCY_STEPS,
    JOURNEY_DURATION_STEPS,
    failure_ratio,
    journey_success,
    p95,
)

__all__ = ["UID", "build"]

UID = "paywatch-channels"

_F = AUTH_FILTER
_CHANNEL_TITLE = {"online": "Online", "pos": "POS"}


def _journeys(channel: str) -> str:
    return "|".join(sorted(j for j, c in JOURNEY_CHANNEL.items() if c == channel))


def _region_panels(options: GeneratorOptions, channel: str) -> list[PanelBuilder]:
    name = _CHANNEL_TITLE[channel]
    selector = f'journey=~"{_journeys(channel)}", journey=~"$journey", region=~"$region"'
    return [
        journey_success(
            options,
            f"{name}: journey success by region",
            f"Share of successful synthetic {name} journeys ({_journeys(channel).replace('|', ', ')}) per region, "
            "5m. One region down and others up: look at that region's network path or terminals.",
            selector,
            "{{region}} {{journey}}",
        ),
        timeseries(
            options,
            f"{name}: journey duration p95 by region",
            f"95th percentile duration of whole synthetic {name} journeys per region.",
            [query(p95("paywatch_probe_duration_seconds", "region", selector), "{{region}}")],
            unit="s",
            steps=JOURNEY_DURATION_STEPS,
            runbooks=[Alert.LATENCY_BURN],
            minimum=0,
        ),
    ]


def _heatmap(options: GeneratorOptions, channel: str) -> PanelBuilder:
    name = _CHANNEL_TITLE[channel]
    return heatmap(
        options,
        f"{name} authorization latency (heatmap, exemplars)",
        f"Distribution of {name} authorization latency over time. Dots are exemplars: click one to open "
        "its trace in the tracing data source.",
        [
            query(
                "sum by (le) (rate(paywatch_authorization_duration_seconds_bucket"
                f'{{channel="{channel}", channel=~"$channel", source=~"$source"}}[$__rate_interval]))',
                "{{le}}",
                heatmap_format=True,
                exemplar=True,
            )
        ],
        unit="s",
        runbooks=[Alert.LATENCY_BURN],
    )


def build(options: GeneratorOptions) -> Dashboard:
    o = options
    layout = DashboardLayout(
        o,
        uid=UID,
        title="paywatch / Channels",
        description="Online versus POS, per region: which channel and which region fails, and how slow it is.",
        tags=["channels", "latency"],
        filters=["channel", "source", "region", "journey"],
    )
    layout.row(
        "Online versus POS",
        timeseries(
            o,
            "Authorizations by channel and outcome",
            "Authorizations per second (5m) by channel and outcome, both sources unless filtered.",
            [
                query(
                    f"sum by (channel, outcome) (paywatch:authorizations:rate5m{{{_F}}})",
                    "{{channel}} {{outcome}}",
                )
            ],
            unit="reqps",
            runbooks=[Alert.CHANNEL_DOWN],
            minimum=0,
        ),
        failure_ratio(
            o,
            "Failure ratio by channel",
            "Share of authorizations that failed technically (availability SLI, 5m) per channel and source.",
            "{{channel}} {{source}}",
            runbooks=[Alert.CHANNEL_DOWN, Alert.AVAILABILITY_BURN],
        ),
    )
    layout.row("Online per region", *_region_panels(o, "online"))
    layout.row("POS per region", *_region_panels(o, "pos"))
    layout.row(
        "Latency",
        timeseries(
            o,
            "Authorization latency percentiles",
            "p50, p95 and p99 authorization latency (5m) per channel and source. The latency SLO counts "
            "authorizations slower than its threshold.",
            [
                query(f"paywatch:authorization_duration_seconds:p50_5m{{{_F}}}", "p50 {{channel}} {{source}}"),
                query(
                    p95("paywatch_authorization_duration_seconds", "channel, source", _F), "p95 {{channel}} {{source}}"
                ),
                query(f"paywatch:authorization_duration_seconds:p99_5m{{{_F}}}", "p99 {{channel}} {{source}}"),
            ],
            unit="s",
            steps=AUTH_LATENCY_STEPS,
            runbooks=[Alert.LATENCY_BURN, Alert.LATENCY_P99],
            minimum=0,
            span=24,
        ),
        _heatmap(o, "online"),
        _heatmap(o, "pos"),
    )
    return layout.build()
