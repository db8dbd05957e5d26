"""Renders alerts/alertmanager.yml from the spec's routing data and alerts/alertmanager.yml.j2.

The committed file is the production profile; the fast profile shortens every interval by ``time_scale``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import jinja2

from alerts.building import Scale
from alerts.spec import AlertSpec, default_spec

__all__ = [
    "ALERTMANAGER_PATH",
    "PRODUCTION_RECEIVERS",
    "TEMPLATES_DIR",
    "alertmanager_config",
]

_HERE = Path(__file__).parent
ALERTMANAGER_PATH = _HERE / "alertmanager.yml"
TEMPLATES_DIR = _HERE / "templates"


class ReceiverUrls(TypedDict):
    incident_webhook_url: str
    pager_url: str
    chat_url: str
    deadman_url: str


PRODUCTION_RECEIVERS: ReceiverUrls = {
    "incident_webhook_url": "http://127.0.0.1:8490/alerts",
    "pager_url": "https://events.pagerduty.com/v2/enqueue",
    "chat_url": "http://127.0.0.1:8490/chat/slack",
    "deadman_url": "http://127.0.0.1:8490/deadman",
}
"""Receiver URLs of the committed file: the incident service on its default port and the pager's events API.
Deployments replace them (and the routing key) with their own."""

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)


def alertmanager_config(
    *,
    time_scale: float = 1.0,
    incident_webhook_url: str,
    pager_url: str,
    chat_url: str,
    deadman_url: str | None = None,
    pager_routing_key: str = "paywatch-payments-oncall",
    templates_dir: str | None = None,
    spec: AlertSpec | None = None,
) -> str:
    """alertmanager.yml text. ``templates_dir`` defaults to this package's templates, by absolute path,
    so the file works wherever it is written; the committed one uses the path relative to itself."""
    spec = spec or default_spec()
    timing = spec.alertmanager
    scale = Scale(time_scale)
    profile = "production profile" if time_scale == 1.0 else f"time_scale {time_scale:g}"
    return _ENV.get_template("alertmanager.yml.j2").render(
        profile=profile,
        resolve_timeout=scale(timing.resolve_timeout),
        templates_glob=f"'{templates_dir or TEMPLATES_DIR}/*.tmpl'",
        group_by="[" + ", ".join(timing.group_by) + "]",
        group_wait=scale(timing.group_wait),
        group_interval=scale(timing.group_interval),
        page_repeat=scale(timing.repeat_interval.page),
        ticket_repeat=scale(timing.repeat_interval.ticket),
        watchdog_repeat=scale(timing.watchdog_repeat_interval),
        jobs=sorted(set(spec.source_jobs.values())),
        incident_webhook_url=incident_webhook_url,
        pager_url=pager_url,
        chat_url=chat_url,
        deadman_url=deadman_url,
        pager_routing_key=pager_routing_key,
    )
