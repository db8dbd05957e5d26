"""The metric-name finder the runbook and rule checks rely on."""

from __future__ import annotations

import pytest

from tests.alerts.promql_names import metric_names

CASES = [
    ("plain", "up", {"up"}),
    ("selector", 'up{job="paywatch-probe"} == 0', {"up"}),
    ("function", "rate(paywatch_probe_runs_total[5m])", {"paywatch_probe_runs_total"}),
    (
        "aggregation-with-by",
        'sum by (reason) (paywatch:authorizations:rate5m{outcome="failed"})',
        {"paywatch:authorizations:rate5m"},
    ),
    ("binary-on", "a / on (slo, channel) group_left b", {"a", "b"}),
    ("offset", "rate(x_total[5m] offset 1d)", {"x_total"}),
    ("numbers", "1e5 * round(x, 0.01) > 2.5", {"x"}),
    ("string-with-braces", 'label_replace(x, "dst", "$1", "src", "(.*)")', {"x"}),
    ("keywords", "a and b or c unless d", {"a", "b", "c", "d"}),
    (
        "time",
        "time() - paywatch_probe_last_success_timestamp_seconds",
        {"paywatch_probe_last_success_timestamp_seconds"},
    ),
]


@pytest.mark.parametrize(("expr", "expected"), [(e, x) for _, e, x in CASES], ids=[c[0] for c in CASES])
def test_metric_names(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected
