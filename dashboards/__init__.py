"""paywatch dashboards: Grafana dashboards as code (grafana-foundation-sdk), provisioning, push and snapshots.

``render_all``/``write``/``check`` keep ``dashboards/generated`` in step with the generator; ``push_dashboards``
saves them to a Grafana; ``snapshot_dashboards`` draws them from Prometheus without one.
"""

from dashboards.alertnames import Alert
from dashboards.generate import (
    DASHBOARD_UIDS,
    GENERATED_DIR,
    PROVISIONING_DIR,
    check,
    dashboard_json,
    datasources_yaml,
    render_all,
    write,
)
from dashboards.options import JOURNEY_CHANNEL, GeneratorOptions
from dashboards.push import PushError, PushResult, push_dashboards, read_token
from dashboards.snapshot import DashboardSnapshot, snapshot_dashboards

__all__ = [
    "DASHBOARD_UIDS",
    "GENERATED_DIR",
    "JOURNEY_CHANNEL",
    "PROVISIONING_DIR",
    "Alert",
    "DashboardSnapshot",
    "GeneratorOptions",
    "PushError",
    "PushResult",
    "check",
    "dashboard_json",
    "datasources_yaml",
    "push_dashboards",
    "read_token",
    "render_all",
    "snapshot_dashboards",
    "write",
]
