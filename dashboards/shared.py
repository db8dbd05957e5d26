"""What more than one dashboard shows: the authorization filters, threshold tables, and the panels that
appear on several dashboards (journey success, failure reasons), so each reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import table as table_builders
from grafana_foundation_sdk.builders import timeseries as timeseries_builders

from dashboards.alertnames import Alert
from dashboards.options import GeneratorOptions
from dashboards.panels import Steps, query, table, timeseries

__all__ = [
    "AUTH_FILTER",
    "AUTH_LATENCY_STEPS",
    "FAILURE_RATIO_STEPS",
    "JOURNEY_DURATION_STEPS",
    "SUCCESS_STEPS",
    "failure_ratio",
    "failure_reasons",
    "journey_success",
    "p95",
]

AUTH_FILTER = 'channel=~"$channel", source=~"$source"'
"""The variables every query on authorization series (and the SLO rules over them) filters by."""

# Colours on-call reads the same on every dashboard. Success: the probes' 5m success ratio (an approval
# journey should always work). Failure ratio: the production availability objective allows 0.1%.
SUCCESS_STEPS: Steps = ((None, "red"), (0.95, "orange"), (0.99, "green"))
FAILURE_RATIO_STEPS: Steps = ((None, "green"), (0.001, "orange"), (0.01, "red"))
AUTH_LATENCY_STEPS: Steps = ((None, "green"), (1.0, "orange"), (2.5, "red"))
"""1 s is the production latency SLO's threshold, 2.5 s where the p99 alert opens a ticket."""
JOURNEY_DURATION_STEPS: Steps = ((None, "green"), (2.5, "orange"), (10.0, "red"))


def p95(histogram: str, by: str, selector: str) -> str:
    """The 95th percentile of ``histogram`` (a ``_seconds`` family) per ``by`` labels, over Grafana's rate
    interval."""
    return f"histogram_quantile(0.95, sum by (le, {by}) (rate({histogram}_bucket{{{selector}}}[$__rate_interval])))"


def failure_ratio(
    options: GeneratorOptions, title: str, description: str, legend: str, *, runbooks: Sequence[str], span: int = 12
) -> timeseries_builders.Panel:
    """The availability SLI (share of authorizations that failed technically, 5m) per channel and source."""
    return timeseries(
        options,
        title,
        description,
        [query(f'slo:sli_error:ratio_rate5m{{slo="availability", {AUTH_FILTER}}}', legend)],
        unit="percentunit",
        steps=FAILURE_RATIO_STEPS,
        runbooks=runbooks,
        minimum=0,
        span=span,
    )


def journey_success(
    options: GeneratorOptions, title: str, description: str, selector: str, legend: str, *, span: int = 12
) -> timeseries_builders.Panel:
    """Share of successful synthetic journey runs (5m) for the probe series ``selector`` picks."""
    return timeseries(
        options,
        title,
        description,
        [query(f"paywatch:probe_success:ratio_rate5m{{{selector}}}", legend)],
        unit="percentunit",
        steps=SUCCESS_STEPS,
        runbooks=[Alert.PROBE_FAILING],
        minimum=0,
        maximum=1,
        worst_first="lowest",
        span=span,
    )


def failure_reasons(
    options: GeneratorOptions,
    title: str,
    description: str,
    columns: Sequence[str],
    *,
    runbooks: Sequence[str],
    top: int | None = None,
) -> table_builders.Panel:
    """Failed authorizations over the selected range by ``columns`` (labels, in the order shown), the
    ``top`` largest only if given."""
    grouped = (
        f"sum by ({', '.join(columns)}) "
        f'(increase(paywatch_authorizations_total{{outcome="failed", {AUTH_FILTER}}}[$__range]))'
    )
    expr = f"topk({top}, {grouped}) > 0" if top else f"{grouped} > 0"
    return table(
        options,
        title,
        description,
        [query(expr, instant=True)],
        unit="short",
        columns=columns,
        value_title="failures in range",
        decimals=0,
        runbooks=runbooks,
    )
