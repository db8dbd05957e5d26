"""Snapshot dashboards without Grafana: run every panel's queries against Prometheus, draw each to a PNG,
and write an ``index.html`` per dashboard (and one listing them) for reviewers and incident messages.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dashboards.generate import GENERATED_DIR
from dashboards.snapshot.panels import PanelData, TimeWindow, fetch_panel, panels_of
from dashboards.snapshot.prometheus import PrometheusClient
from dashboards.snapshot.render import render_panel

__all__ = ["DashboardSnapshot", "load_dashboard", "snapshot_dashboards"]

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class DashboardSnapshot:
    uid: str
    title: str
    description: str
    directory: Path
    index: Path
    panels: tuple[PanelData, ...]
    images: tuple[Path, ...]

    @property
    def empty_panels(self) -> list[str]:
        """Titles of panels where no query returned a series."""
        return [d.panel.title for d in self.panels if not any(r.series for r in d.results)]


def load_dashboard(uid: str, directory: Path = GENERATED_DIR) -> dict[str, Any]:
    path = directory / f"{uid}.json"
    try:
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no dashboard {uid!r}: {path} does not exist") from None
    return result


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "panel"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def _snapshot_one(
    client: PrometheusClient, dashboard: dict[str, Any], out_dir: Path, window: TimeWindow, trace_label: str
) -> DashboardSnapshot:
    uid = str(dashboard["uid"])
    directory = out_dir / uid
    directory.mkdir(parents=True, exist_ok=True)
    panels = panels_of(dashboard)
    data = await asyncio.gather(*(fetch_panel(client, p, window) for p in panels))
    images, items = [], []
    for panel_data in data:
        panel = panel_data.panel
        image = directory / f"{panel.id:02d}-{_slug(panel.title)}.png"
        # drawing is CPU-bound; a thread keeps the event loop (and other dashboards' queries) going
        await asyncio.to_thread(render_panel, panel_data, image)
        images.append(image)
        trace_ids = sorted(
            {e.labels[trace_label] for r in panel_data.results for e in r.exemplars if trace_label in e.labels}
        )
        items.append(
            {
                "row": panel.row,
                "id": panel.id,
                "title": panel.title,
                "description": panel.description,
                "width": panel.width,
                "image": image.name,
                "links": panel.links,
                "queries": [r.expr for r in panel_data.results],
                "errors": [f"{r.ref_id}: {r.error}" for r in panel_data.results if r.error],
                "trace_ids": trace_ids[-10:],
            }
        )
    index = directory / "index.html"
    index.write_text(
        _TEMPLATES.get_template("index.html.j2").render(
            title=dashboard.get("title", uid),
            description=dashboard.get("description", ""),
            uid=uid,
            prometheus_url=client.base_url,
            taken_at=_stamp(window.end),
            window_start=_stamp(window.start),
            window_end=_stamp(window.end),
            step=f"{window.step_s:g}s",
            rows=[
                {"title": title, "panels": list(group)}
                for title, group in itertools.groupby(items, key=itemgetter("row"))
            ],
            index_href="../index.html",
        ),
        encoding="utf-8",
    )
    title, description = str(dashboard.get("title", uid)), str(dashboard.get("description", ""))
    return DashboardSnapshot(uid, title, description, directory, index, tuple(data), tuple(images))


async def snapshot_dashboards(
    prometheus_url: str,
    out_dir: Path,
    uids: list[str],
    *,
    range_s: float = 900.0,
    end: float | None = None,
    scrape_interval_s: float = 15.0,
    dashboards_dir: Path = GENERATED_DIR,
    trace_label: str = "trace_id",
) -> list[DashboardSnapshot]:
    """Snapshot each dashboard in ``uids`` over the last ``range_s`` seconds into ``out_dir/<uid>/``;
    heatmap captions list the exemplars' ``trace_label`` values (trace ids)."""
    dashboards = [load_dashboard(uid, dashboards_dir) for uid in uids]
    end = time.time() if end is None else end
    window = TimeWindow(start=end - range_s, end=end, scrape_interval_s=scrape_interval_s)
    out_dir.mkdir(parents=True, exist_ok=True)
    async with PrometheusClient(prometheus_url) as client:
        # an unreachable Prometheus is a usage error, reported once; failures of single queries are drawn
        await client.query("vector(1)", end)
        snapshots = [await _snapshot_one(client, d, out_dir, window, trace_label) for d in dashboards]
    (out_dir / "index.html").write_text(
        _TEMPLATES.get_template("dashboards.html.j2").render(
            taken_at=_stamp(end),
            prometheus_url=prometheus_url,
            dashboards=[
                {
                    "href": f"{s.uid}/index.html",
                    "title": s.title,
                    "description": s.description,
                    "panels": len(s.panels),
                    "empty": len(s.empty_panels),
                }
                for s in snapshots
            ],
        ),
        encoding="utf-8",
    )
    return snapshots
