"""Draw one panel's data to a PNG with matplotlib (Agg, no display): lines, big numbers, heatmaps, tables.

Figures are ``matplotlib.figure.Figure`` on the Agg canvas: no display needed, and no global pyplot state.
"""

from __future__ import annotations

import math
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dashboards.snapshot.panels import Panel, PanelData, QueryResult, legend

__all__ = ["display_value", "format_value", "legend_order", "render_panel", "table_columns", "threshold_colour"]

_GRAFANA_COLOURS = {"green": "#56a64b", "orange": "#ff9830", "red": "#e02f44", "yellow": "#fade2a"}
_MAX_LEGEND = 24
_MAX_ROWS = 20


def format_value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A value as Grafana shows it for the units these dashboards use (``suffix:<text>`` is Grafana's
    custom unit: the number, then the text)."""
    if value is None or math.isnan(value):
        return "No data"
    if unit == "percentunit":
        if decimals is not None:
            return f"{value * 100:.{decimals}f}%"
        return f"{value * 100:.2f}%" if abs(value) >= 0.0001 or value == 0 else f"{value * 100:.2g}%"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if unit == "s":
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if unit == "reqps":
        return f"{value:.3g} req/s"
    number = f"{value:.{decimals}f}" if decimals is not None else f"{value:.4g}"
    return number + unit.removeprefix("suffix:") if unit.startswith("suffix:") else number


def display_value(value: float | None, panel: Panel) -> str:
    """``value`` as the panel shows it: a mapped text ("up") where the panel maps it, else by unit."""
    if value is not None and not math.isnan(value):
        mapped = dict(panel.value_text).get(f"{value:g}")
        if mapped is not None:
            return mapped
    return format_value(value, panel.unit, panel.decimals)


def threshold_colour(value: float | None, steps: tuple[tuple[float | None, str], ...]) -> str:
    colour = "#8e8e8e"
    if value is None or math.isnan(value):
        return colour
    for step_value, step_colour in steps:
        if step_value is None or value >= step_value:
            colour = _GRAFANA_COLOURS.get(step_colour, step_colour)
    return colour


def _figure(panel: Panel) -> Figure:
    width = max(4.0, panel.width / 24 * 16)
    height = max(2.6, panel.height * 0.42 + 0.4)
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _message(ax: Axes, text: str, colour: str = "#555555") -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=10, color=colour, transform=ax.transAxes)


def _errors(results: tuple[QueryResult, ...]) -> str | None:
    errors = [f"{r.ref_id}: {r.error}" for r in results if r.error]
    return "Query failed\n" + "\n".join(errors) if errors else None


def _frame(results: tuple[QueryResult, ...]) -> pd.DataFrame:
    """Every series of every query as one column, indexed by UTC time, aligned for stacking."""
    columns: dict[str, pd.Series] = {}
    for result in results:
        for series in result.series:
            name = legend(result.legend_format, series.labels)
            while name in columns:
                name += "'"
            index = pd.to_datetime([t for t, _ in series.points], unit="s", utc=True)
            columns[name] = pd.Series([v for _, v in series.points], index=index, dtype="float64")
    return pd.DataFrame(columns).sort_index()


def _y_formatter(unit: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_value(value, unit))


def _timeseries(figure: Figure, data: PanelData) -> None:
    ax = figure.add_subplot()
    frame = _frame(data.results)
    if frame.empty:
        _message(ax, "No data")
        return
    frame = legend_order(frame, data.panel.legend_sort)
    palette = matplotlib.colormaps["tab10" if len(frame.columns) <= 10 else "tab20"]
    ax.set_prop_cycle(color=[palette(i % palette.N) for i in range(len(frame.columns))])
    if data.panel.stacked:
        filled = frame.fillna(0.0)
        ax.stackplot(filled.index, filled.T.to_numpy(), labels=list(filled.columns), alpha=0.8)
    else:
        for name in frame.columns:
            ax.plot(frame.index, frame[name], label=name, linewidth=1.2)
    # the panel's own axis bounds, as Grafana applies them (a flat 0 is drawn on the floor, not mid-air), with a
    # little room either side so a series sitting on a bound (0 failures, 100% success) is not hidden by the frame
    low, high = ax.get_ylim()
    low = low if data.panel.minimum is None else data.panel.minimum
    high = high if data.panel.maximum is None or data.panel.maximum <= low else data.panel.maximum
    # only thresholds inside that range: a far-away line would squash the data into a flat stripe
    for value, colour in data.panel.thresholds:
        if value is not None and low <= value <= high:
            ax.axhline(value, color=_GRAFANA_COLOURS.get(colour, colour), linestyle="--", linewidth=0.8)
    pad = 0.02 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.yaxis.set_major_formatter(_y_formatter(data.panel.unit))
    ax.margins(x=0.01)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=UTC))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if len(handles) > _MAX_LEGEND:
        handles, labels = (
            handles[:_MAX_LEGEND],
            [*labels[: _MAX_LEGEND - 1], f"... {len(labels) - _MAX_LEGEND + 1} more"],
        )
    if handles:
        width, height = figure.get_size_inches()
        figure.set_size_inches(width, height + math.ceil(len(handles) / 3) * 0.13)
        # below the plot, so the legend never hides a line
        figure.legend(handles, labels, fontsize=6, loc="outside lower center", ncol=3, frameon=False)


def _stat(figure: Figure, data: PanelData) -> None:
    frame = _frame(data.results)
    if frame.empty:
        _message(figure.add_subplot(), "No data")
        return
    names = list(frame.columns)
    width, _ = figure.get_size_inches()
    cols = max(1, min(len(names), int(width // 1.7)))
    rows = math.ceil(len(names) / cols)
    figure.set_size_inches(width, max(figure.get_size_inches()[1], 0.5 + rows * 1.15))
    for index, name in enumerate(names):
        ax = figure.add_subplot(rows, cols, index + 1)
        column = frame[name].dropna()
        last = float(column.iloc[-1]) if not column.empty else None
        ax.set_facecolor(threshold_colour(last, data.panel.thresholds))
        if len(column) > 1:
            ax.plot(column.index, column.to_numpy(), color="white", alpha=0.4, linewidth=1)
        ax.set_xticks([])
        ax.set_yticks([])
        # two short lines rather than one cut off: "availability online" / "production"
        label = "\n".join(textwrap.wrap(name, 22, max_lines=2, placeholder="..."))
        ax.text(0.5, 0.80, label, ha="center", va="center", fontsize=7, color="white", transform=ax.transAxes)
        ax.text(0.5, 0.38, display_value(last, data.panel), ha="center", va="center", fontsize=13,
                weight="bold", color="white", transform=ax.transAxes)  # fmt: skip


def _bucket_bound(label: str) -> float:
    return math.inf if label in ("+Inf", "Inf") else float(label)


def _heatmap(figure: Figure, data: PanelData) -> None:
    ax = figure.add_subplot()
    series = [s for r in data.results for s in r.series if "le" in s.labels]
    if not series:
        _message(ax, "No data")
        return
    columns = {
        s.labels["le"]: pd.Series([v for _, v in s.points], index=[t for t, _ in s.points], dtype="float64")
        for s in series
    }
    frame = pd.DataFrame(columns).sort_index().fillna(0.0)
    order = sorted(frame.columns, key=_bucket_bound)
    # buckets are cumulative (le); a cell is the count in its own bucket only, as Grafana's heatmap format shows it
    cumulative = frame[order]
    cells = cumulative.diff(axis=1).fillna(cumulative).clip(lower=0.0)
    times = mdates.date2num(pd.to_datetime(cells.index, unit="s", utc=True))
    extent = (times[0], times[-1] if len(times) > 1 else times[0] + 1 / 86400, 0, len(order))
    image = ax.imshow(cells.T.to_numpy(), aspect="auto", origin="lower", extent=extent, cmap="Oranges",
                      interpolation="nearest")  # fmt: skip
    # a row is one bucket: the latencies up to its bound (and above the row below)
    ax.set_yticks([i + 0.5 for i in range(len(order))], [f"≤ {format_value(_bucket_bound(le), 's')}" for le in order])
    ax.set_ylabel("bucket (upper bound)", fontsize=7)
    first, last = float(cells.index[0]), float(cells.index[-1])
    exemplars = [e for r in data.results for e in r.exemplars if first <= e.timestamp <= last]
    if exemplars:
        bounds = [_bucket_bound(le) for le in order]
        xs = mdates.date2num([datetime.fromtimestamp(e.timestamp, UTC) for e in exemplars])
        ys = [next((i for i, b in enumerate(bounds) if e.value <= b), len(bounds) - 1) + 0.5 for e in exemplars]
        ax.scatter(xs, ys, s=10, c="#b000b0", alpha=0.7, label=f"exemplars ({len(exemplars)})")
        ax.legend(fontsize=6, loc="upper left")
    ax.xaxis_date(tz=UTC)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=UTC))
    ax.tick_params(labelsize=7)
    figure.colorbar(image, ax=ax, shrink=0.8).set_label("per second in the bucket", fontsize=7)


def table_columns(panel: Panel, labels: set[str]) -> tuple[list[str], list[str]]:
    """(label columns, header) of a table, in the dashboard's order and names, so the picture reads like
    the Grafana table: its ``organize`` order first, other labels after; the value column last, renamed
    ("failures in range") or left out when the panel hides it."""
    labels = labels - {"__name__"}
    keys = [c for c in panel.columns if c in labels] + sorted(labels - set(panel.columns))
    keys = [k for k in keys if k not in panel.hidden]
    value = [] if "Value" in panel.hidden else [dict(panel.renamed).get("Value", "Value")]
    return keys, [*keys, *value]


def _table(figure: Figure, data: PanelData) -> None:
    ax = figure.add_subplot()
    rows = [(s.labels, s.last) for r in data.results for s in r.series]
    if not rows:
        _message(ax, "No data")
        return
    panel = data.panel
    rows.sort(key=lambda row: -(row[1] if row[1] is not None else -math.inf))
    keys, header = table_columns(panel, {k for row_labels, _ in rows for k in row_labels})
    show_value = len(header) > len(keys)
    text = [
        [row_labels.get(k, "") for k in keys] + ([display_value(value, panel)] if show_value else [])
        for row_labels, value in rows
    ]
    ax.set_axis_off()
    shown = text[:_MAX_ROWS]
    table = ax.table(cellText=shown, colLabels=header, loc="upper left", cellLoc="left", colLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.3)
    table.auto_set_column_width(list(range(len(header))))
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#cccccc")
        if row == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eeeeee")
    if len(text) > _MAX_ROWS:
        ax.text(0.5, 0.0, f"{len(text) - _MAX_ROWS} more rows not shown", ha="center", fontsize=7,
                transform=ax.transAxes)  # fmt: skip


def legend_order(frame: pd.DataFrame, sort: tuple[str, bool] | None) -> pd.DataFrame:
    """Columns in the legend's order (Grafana's ``sortBy``/``sortDesc``), so the series that matter come
    first and are never the ones cut off."""
    if sort is None:
        return frame
    calc, descending = sort
    keys = frame.max() if calc == "Max" else frame.ffill().iloc[-1]
    return frame[keys.sort_values(ascending=not descending, kind="stable").index]


_RENDERERS = {"timeseries": _timeseries, "stat": _stat, "heatmap": _heatmap, "table": _table}


def render_panel(data: PanelData, path: Path) -> None:
    """Write ``data`` as a PNG at ``path``: the panel title on top, then its visualisation or why it is empty."""
    figure = _figure(data.panel)
    figure.suptitle(data.panel.title, fontsize=10, x=0.01, ha="left")
    error = _errors(data.results)
    renderer = _RENDERERS.get(data.panel.type)
    if error and not any(r.series for r in data.results):
        _message(figure.add_subplot(), error, colour="#e02f44")
    elif renderer is None:
        _message(figure.add_subplot(), f"panel type {data.panel.type!r} is not rendered in snapshots")
    else:
        renderer(figure, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
