"""paywatch dashboards: Grafana dashboards as code (grafana-foundation-sdk), provisioning, push and snapshots.

``render_all``/``write``/``check`` keep ``dashboards/generated`` in step with the generator; ``push_dashboards``
saves them to a Grafana; ``snapshot_dashboards`` draws them from Prometheus without one.

Names are imported on first use, so the ``paywatch`` command does not load matplotlib and the
Grafana SDK unless a dashboards command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paywatch.lazy import lazy_exports

if TYPE_CHECKING:
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

_WHERE = {
    "Alert": "alertnames",
    "DASHBOARD_UIDS": "generate",
    "GENERATED_DIR": "generate",
    "PROVISIONING_DIR": "generate",
    "check": "generate",
    "dashboard_json": "generate",
    "datasources_yaml": "generate",
    "render_all": "generate",
    "write": "generate",
    "JOURNEY_CHANNEL": "options",
    "GeneratorOptions": "options",
    "PushError": "push",
    "PushResult": "push",
    "push_dashboards": "push",
    "read_token": "push",
    "DashboardSnapshot": "snapshot",
    "snapshot_dashboards": "snapshot",
}


__getattr__ = lazy_exports(__name__, _WHERE)


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
