"""Panel and variable helpers over grafana-foundation-sdk builders, so every dashboard shares one look.

Each helper takes the question the panel answers (title, description) and its queries; units, thresholds,
runbook links and the data source reference are applied the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import heatmap as heatmap_builders
from grafana_foundation_sdk.builders import prometheus as prometheus_builders
from grafana_foundation_sdk.builders import stat as stat_builders
from grafana_foundation_sdk.builders import table as table_builders
from grafana_foundation_sdk.builders import timeseries as timeseries_builders
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import heatmap as heatmap_models
from grafana_foundation_sdk.models import prometheus as prometheus_models

from dashboards.options import GeneratorOptions

__all__ = [
    "ALERTS_FIRING",
    "DATASOURCE",
    "DashboardLayout",
    "PanelBuilder",
    "Steps",
    "heatmap",
    "query",
    "stat",
    "table",
    "timeseries",
    "variables",
]

DATASOURCE = dashboard_models.DataSourceRef(type_val="prometheus", uid="${datasource}")

ALERTS_FIRING = 'ALERTS{alertstate="firing", alertname!="Watchdog"}'
"""The annotation query of every dashboard: one marker per firing alert."""

_LEGEND_SORT = {"highest": ("Max", True), "lowest": ("Last *", False)}
"""Legend order by a calc it shows (Grafana sorts by the calc's display name)."""

Steps = Sequence[tuple[float | None, str]]
"""Threshold steps: ``(None, base colour)`` first, then ``(value, colour)`` in ascending order."""

PanelBuilder = timeseries_builders.Panel | stat_builders.Panel | table_builders.Panel | heatmap_builders.Panel


def query(
    expr: str,
    legend: str = "",
    *,
    ref: str = "A",
    instant: bool = False,
    heatmap_format: bool = False,
    exemplar: bool = False,
) -> prometheus_builders.Dataquery:
    target = prometheus_builders.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        target = target.legend_format(legend)
    # tables show one row per series now; everything else plots the range
    target = target.instant().format(prometheus_models.PromQueryFormat.TABLE) if instant else target.range()
    if heatmap_format:
        target = target.format(prometheus_models.PromQueryFormat.HEATMAP)
    if exemplar:
        target = target.exemplar(True)
    return target


def _thresholds(steps: Steps) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(dashboard_models.ThresholdsMode.ABSOLUTE)
        .steps([dashboard_models.Threshold(value=value, color=colour) for value, colour in steps])
    )


def _runbook_links(options: GeneratorOptions, alerts: Sequence[str]) -> list[Builder[dashboard_models.DashboardLink]]:
    return [
        dashboard_builders.DashboardLink(f"Runbook: {alert}")
        .type(dashboard_models.DashboardLinkType.LINK)
        .url(options.runbook_url(alert))
        .target_blank(True)
        for alert in alerts
    ]


def _targets(queries: Sequence[prometheus_builders.Dataquery]) -> list[Builder[cogvariants.Dataquery]]:
    # ref ids must be unique within a panel: A, B, C... in the order given
    return [target.ref_id(chr(ord("A") + index)) for index, target in enumerate(queries)]


def _common(
    panel: PanelBuilder,
    options: GeneratorOptions,
    *,
    title: str,
    description: str,
    queries: Sequence[prometheus_builders.Dataquery],
    unit: str,
    runbooks: Sequence[str],
    span: int,
    height: int,
    steps: Steps | None,
    decimals: int | None = None,
) -> None:
    panel.title(title).description(description).datasource(DATASOURCE).unit(unit).span(span).height(height)
    panel.targets(_targets(queries))
    if decimals is not None:
        panel.decimals(decimals)
    if steps:
        panel.thresholds(_thresholds(steps))
    if runbooks:
        panel.links(_runbook_links(options, runbooks))


def timeseries(
    options: GeneratorOptions,
    title: str,
    description: str,
    queries: Sequence[prometheus_builders.Dataquery],
    *,
    unit: str,
    runbooks: Sequence[str] = (),
    steps: Steps | None = None,
    stacked: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    worst_first: str = "highest",
    span: int = 12,
    height: int = 8,
) -> timeseries_builders.Panel:
    """A graph over time. Unless stacked, the legend lists the series on-call looks for first:
    ``worst_first="highest"`` sorts by peak (latency, failures), ``"lowest"`` by current value (success)."""
    panel = timeseries_builders.Panel()
    _common(
        panel, options, title=title, description=description, queries=queries, unit=unit,
        runbooks=runbooks, span=span, height=height, steps=steps,
    )  # fmt: skip
    panel.line_width(1).fill_opacity(10 if not stacked else 60).show_points(common.VisibilityMode.NEVER)
    legend = (
        common_builders.VizLegendOptions()
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )
    # a stack keeps the query's order (outcomes of one journey together); other graphs put the worst first
    if not stacked:
        legend.sort_by(_LEGEND_SORT[worst_first][0]).sort_desc(_LEGEND_SORT[worst_first][1])
    panel.legend(legend)
    if stacked:
        panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    if steps:
        panel.thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE))
    if minimum is not None:
        panel.min(minimum)
    if maximum is not None:
        panel.max(maximum)
    return panel


def stat(
    options: GeneratorOptions,
    title: str,
    description: str,
    queries: Sequence[prometheus_builders.Dataquery],
    *,
    unit: str,
    steps: Steps,
    runbooks: Sequence[str] = (),
    span: int = 6,
    height: int = 5,
    decimals: int | None = None,
    value_text: dict[float, str] | None = None,
) -> stat_builders.Panel:
    """Big numbers, one per series, coloured by ``steps``; ``value_text`` shows words for values (1: "up")."""
    panel = stat_builders.Panel()
    _common(
        panel, options, title=title, description=description, queries=queries, unit=unit,
        runbooks=runbooks, span=span, height=height, steps=steps, decimals=decimals,
    )  # fmt: skip
    panel.graph_mode(common.BigValueGraphMode.AREA).color_mode(common.BigValueColorMode.BACKGROUND)
    panel.text_mode(common.BigValueTextMode.VALUE_AND_NAME)
    panel.reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    if value_text:
        results = {f"{value:g}": dashboard_models.ValueMappingResult(text=text, index=index)
                   for index, (value, text) in enumerate(value_text.items())}  # fmt: skip
        panel.mappings([dashboard_models.ValueMap(options=results)])
    return panel


def table(
    options: GeneratorOptions,
    title: str,
    description: str,
    queries: Sequence[prometheus_builders.Dataquery],
    *,
    unit: str,
    columns: Sequence[str],
    value_title: str | None,
    runbooks: Sequence[str] = (),
    steps: Steps | None = None,
    cell_link: tuple[str, str] | None = None,
    decimals: int | None = None,
    span: int = 12,
    height: int = 8,
) -> table_builders.Panel:
    """A table of instant query results: the label ``columns`` in that order, then the value headed
    ``value_title`` (what it counts, e.g. "failures in range"), largest first; ``value_title=None`` hides a
    value that says nothing (ALERTS is always 1). ``cell_link`` (title, url) makes every cell a link; the
    url may use ``${__data.fields.<label>}`` of the row."""
    panel = table_builders.Panel()
    _common(
        panel, options, title=title, description=description, queries=queries, unit=unit,
        runbooks=runbooks, span=span, height=height, steps=steps, decimals=decimals,
    )  # fmt: skip
    if cell_link is not None:
        link_title, url = cell_link
        panel.data_links([dashboard_builders.DashboardLink(link_title).url(url).target_blank(True)])
    # an instant query comes back as one frame: drop the timestamp, order the labels, name the value
    organize: dict[str, object] = {
        "excludeByName": {"Time": True, "Value": value_title is None},
        "indexByName": {name: index for index, name in enumerate([*columns, "Value"])},
        "renameByName": {"Value": value_title} if value_title else {},
    }
    panel.with_transformation(dashboard_models.DataTransformerConfig(id_val="organize", options=organize))
    sort = (value_title, True) if value_title else (columns[0], False)
    panel.sort_by([common_builders.TableSortByFieldState().display_name(sort[0]).desc(sort[1])])
    return panel


def heatmap(
    options: GeneratorOptions,
    title: str,
    description: str,
    queries: Sequence[prometheus_builders.Dataquery],
    *,
    unit: str,
    runbooks: Sequence[str] = (),
    span: int = 12,
    height: int = 9,
) -> heatmap_builders.Panel:
    """Histogram buckets over time; exemplars drawn on top link to traces via the data source's
    ``exemplarTraceIdDestinations`` (see ``provisioning``)."""
    panel = heatmap_builders.Panel()
    _common(
        panel, options, title=title, description=description, queries=queries, unit=unit,
        runbooks=runbooks, span=span, height=height, steps=None,
    )  # fmt: skip
    panel.calculate(False).y_axis(heatmap_builders.YAxisConfig().unit(unit))
    panel.color(
        heatmap_builders.HeatmapColorOptions()
        .mode(heatmap_models.HeatmapColorMode.SCHEME)
        .scheme("Oranges")
        .steps(64)
        .exponent(0.5)
    )
    panel.cell_gap(1).exemplars_color("rgba(255,0,255,0.7)").show_legend()
    panel.rows_frame(heatmap_builders.RowsHeatmapOptions().layout(common.HeatmapCellLayout.LE))
    return panel


def _label_variable(name: str, label: str, metric: str, description: str) -> dashboard_builders.QueryVariable:
    return (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(DATASOURCE)
        .query(f"label_values({metric}, {name})")
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dashboard_models.VariableOption(selected=True, text="All", value="$__all"))
    )


_LABEL_VARIABLES = {
    "channel": ("Channel", "paywatch_authorizations_total", "online (card API) or pos (ISO 8583)"),
    "source": ("Source", "paywatch_authorizations_total", "production (customers) or synthetic"),
    "region": ("Region", "paywatch_probe_runs_total", "where the probe agent runs"),
    "journey": ("Journey", "paywatch_probe_runs_total", "synthetic journey"),
}
"""The filter variables a dashboard may declare: name to (label, metric the values come from, description)."""


def variables(options: GeneratorOptions, names: Sequence[str]) -> list[Builder[dashboard_models.VariableModel]]:
    """``datasource`` and the filter variables ``names`` (from ``channel``, ``source``, ``region``,
    ``journey``). "All" is ``.*`` so every query filters with ``=~"$var"``; a dashboard declares only the
    variables its panels use, as a filter that changes nothing only misleads."""
    out: list[Builder[dashboard_models.VariableModel]] = [
        dashboard_builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(
            dashboard_models.VariableOption(
                selected=True, text=options.prometheus_datasource_uid, value=options.prometheus_datasource_uid
            )
        ),
    ]
    out.extend(_label_variable(name, *_LABEL_VARIABLES[name]) for name in names)
    return out


class DashboardLayout:
    """A dashboard under construction: rows of panels, numbered in the order they are added so panel ids
    (and snapshot file names) stay stable."""

    def __init__(
        self,
        options: GeneratorOptions,
        *,
        uid: str,
        title: str,
        description: str,
        tags: Sequence[str],
        filters: Sequence[str],
    ) -> None:
        self.options = options
        self._next_id = 1
        self.builder = (
            dashboard_builders.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags(["paywatch", *tags])
            .editable()
            .timezone("utc")
            .time("now-1h", "now")
            .refresh("30s")
            .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
            .variables(variables(options, filters))
            .annotation(
                # every graph marks when an alert fired, so "what changed when" needs no second screen
                dashboard_builders.AnnotationQuery()
                .name("Alerts firing")
                .datasource(DATASOURCE)
                .enable(True)
                .icon_color("red")
                .expr(ALERTS_FIRING)
            )
            .link(
                dashboard_builders.DashboardLink("paywatch dashboards")
                .type(dashboard_models.DashboardLinkType.DASHBOARDS)
                .tags(["paywatch"])
                .as_dropdown(True)
                .include_vars(True)
                .keep_time(True)
            )
        )

    def _id(self) -> int:
        value, self._next_id = self._next_id, self._next_id + 1
        return value

    def row(self, title: str, *panels: PanelBuilder) -> DashboardLayout:
        self.builder.with_row(dashboard_builders.Row(title).id(self._id()))
        for panel in panels:
            self.builder.with_panel(panel.id(self._id()))
        return self

    def build(self) -> dashboard_models.Dashboard:
        return self.builder.build()
