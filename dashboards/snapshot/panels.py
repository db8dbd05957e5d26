"""Read panels out of dashboard JSON and run their queries the way Grafana would, without Grafana.

Template variables resolve to "All" (``.*``); ``$__rate_interval``, ``$__interval`` and ``$__range`` to the window.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass, field
from typing import Any

from dashboards.snapshot.prometheus import Exemplar, PrometheusClient, PrometheusQueryError, Series

__all__ = ["Panel", "PanelData", "QueryResult", "TimeWindow", "fetch_panel", "legend", "panels_of", "resolve"]

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The range a snapshot covers, and the step and rate window Grafana would pick for it."""

    start: float
    end: float
    scrape_interval_s: float = 15.0
    points: int = 240

    @property
    def step_s(self) -> float:
        return max(1.0, math.ceil((self.end - self.start) / self.points))

    @property
    def rate_interval_s(self) -> float:
        # Grafana's $__rate_interval: at least four scrapes, so a rate always has two samples to work with
        return max(4 * self.step_s, 4 * self.scrape_interval_s)

    @property
    def range_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Panel:
    id: int
    type: str
    title: str
    description: str
    unit: str
    targets: tuple[dict[str, Any], ...]
    thresholds: tuple[tuple[float | None, str], ...]
    stacked: bool
    width: int
    height: int
    links: tuple[tuple[str, str], ...]
    decimals: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    legend_sort: tuple[str, bool] | None = None
    """(calc display name, descending) the legend is ordered by: ``Max`` or ``Last *``."""
    value_text: tuple[tuple[str, str], ...] = ()
    """Value mappings: (value as text, what to show instead)."""
    columns: tuple[str, ...] = ()
    """Table columns in order (the organize transformation's ``indexByName``); ``Value`` is the value."""
    hidden: frozenset[str] = frozenset()
    renamed: tuple[tuple[str, str], ...] = ()
    row: str = ""
    """Title of the dashboard row the panel sits in."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    ref_id: str
    expr: str
    """The expression as sent, variables resolved."""
    legend_format: str
    instant: bool
    series: tuple[Series, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PanelData:
    panel: Panel
    results: tuple[QueryResult, ...] = field(default_factory=tuple)


def panels_of(dashboard: dict[str, Any]) -> list[Panel]:
    """Every data panel in layout order, rows flattened (collapsed rows hold their panels inside); each
    panel knows its row's title."""
    flat: list[tuple[str, dict[str, Any]]] = []
    row = ""
    for item in dashboard.get("panels", []):
        if item.get("type") == "row":
            row = str(item.get("title", ""))
            flat.extend((row, inner) for inner in item.get("panels", []))
        else:
            flat.append((row, item))
    return [_panel(item, row) for row, item in flat]


def _organize(item: dict[str, Any]) -> dict[str, Any]:
    """The options of the panel's ``organize`` transformation (column order, hidden and renamed columns)."""
    for transformation in item.get("transformations", []):
        if transformation.get("id") == "organize":
            options: dict[str, Any] = transformation.get("options", {})
            return options
    return {}


def _panel(item: dict[str, Any], row: str) -> Panel:
    defaults = item.get("fieldConfig", {}).get("defaults", {})
    steps = defaults.get("thresholds", {}).get("steps", [])
    stacking = defaults.get("custom", {}).get("stacking", {}).get("mode", "none")
    legend_box = item.get("options", {}).get("legend", {})
    organize = _organize(item)
    order = organize.get("indexByName", {})
    return Panel(
        id=int(item.get("id", 0)),
        type=item.get("type", ""),
        title=item.get("title", ""),
        description=item.get("description", ""),
        unit=defaults.get("unit", ""),
        targets=tuple(t for t in item.get("targets", []) if t.get("expr") and not t.get("hide")),
        thresholds=tuple((s.get("value"), s.get("color", "green")) for s in steps),
        stacked=stacking not in ("none", None),
        width=int(item.get("gridPos", {}).get("w", 12)),
        height=int(item.get("gridPos", {}).get("h", 8)),
        links=tuple((link.get("title", ""), link.get("url", "")) for link in item.get("links", [])),
        decimals=defaults.get("decimals"),
        minimum=defaults.get("min"),
        maximum=defaults.get("max"),
        legend_sort=(legend_box["sortBy"], bool(legend_box.get("sortDesc"))) if "sortBy" in legend_box else None,
        value_text=tuple(
            (value, str(result.get("text", value)))
            for mapping in defaults.get("mappings", [])
            if mapping.get("type") == "value"
            for value, result in mapping.get("options", {}).items()
        ),
        columns=tuple(sorted(order, key=order.__getitem__)),
        hidden=frozenset(name for name, hide in organize.get("excludeByName", {}).items() if hide),
        renamed=tuple(organize.get("renameByName", {}).items()),
        row=row,
    )


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))}s"


def resolve(expr: str, window: TimeWindow, values: dict[str, str] | None = None) -> str:
    """``expr`` with every template variable replaced: built-ins from ``window``, others from ``values``
    or "All" (``.*``)."""
    builtins = {
        "__rate_interval": _duration(window.rate_interval_s),
        "__interval": _duration(window.step_s),
        "__range": _duration(window.range_s),
        "__range_s": str(round(window.range_s)),
    }
    chosen = values or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return builtins.get(name) or chosen.get(name, ".*")

    return _VARIABLE.sub(substitute, expr)


def legend(legend_format: str, labels: dict[str, str]) -> str:
    """Grafana's legend: ``{{label}}`` replaced by the series' label value; no format shows all labels."""
    if legend_format:
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), legend_format).strip() or "value"
    shown = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{{{shown}}}" if shown else "value"


async def _run(client: PrometheusClient, target: dict[str, Any], window: TimeWindow, heatmap: bool) -> QueryResult:
    expr = resolve(str(target["expr"]), window)
    instant = bool(target.get("instant")) and not target.get("range")
    ref_id, legend_format = str(target.get("refId", "A")), str(target.get("legendFormat", ""))
    try:
        if instant:
            series = await client.query(expr, window.end)
        else:
            series = await client.query_range(expr, window.start, window.end, window.step_s)
        exemplars: list[Exemplar] = []
        if heatmap and target.get("exemplar"):
            exemplars = await client.query_exemplars(expr, window.start, window.end)
    except PrometheusQueryError as exc:
        return QueryResult(ref_id, expr, legend_format, instant, error=str(exc))
    return QueryResult(ref_id, expr, legend_format, instant, tuple(series), tuple(exemplars))


async def fetch_panel(client: PrometheusClient, panel: Panel, window: TimeWindow) -> PanelData:
    """Run every query of ``panel``; a failing query is recorded in its result, never raised."""
    results = await asyncio.gather(*(_run(client, t, window, panel.type == "heatmap") for t in panel.targets))
    return PanelData(panel, tuple(results))
