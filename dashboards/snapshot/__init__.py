"""Dashboard snapshots without Grafana: panel queries against Prometheus, drawn to PNG, listed in HTML."""

from dashboards.snapshot.panels import Panel, PanelData, QueryResult, TimeWindow, fetch_panel, panels_of, resolve
from dashboards.snapshot.prometheus import PrometheusClient, PrometheusQueryError, Series
from dashboards.snapshot.render import render_panel
from dashboards.snapshot.take import DashboardSnapshot, load_dashboard, snapshot_dashboards

__all__ = [
    "DashboardSnapshot",
    "Panel",
    "PanelData",
    "PrometheusClient",
    "PrometheusQueryError",
    "QueryResult",
    "Series",
    "TimeWindow",
    "fetch_panel",
    "load_dashboard",
    "panels_of",
    "render_panel",
    "resolve",
    "snapshot_dashboards",
]
