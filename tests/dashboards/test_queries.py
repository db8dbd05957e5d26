"""Every query of every panel returns data from a real Prometheus fed by a short fast-profile stack run.

A fault (the issuer fails part of the online authorizations) runs throughout, so the failure-reason
panels have failures to show; Watchdog keeps ALERTS non-empty. A typo or a missing metric fails here.
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import aiohttp

from dashboards import DASHBOARD_UIDS, dashboard_json
from dashboards.snapshot import PanelData, PrometheusClient, TimeWindow, fetch_panel, panels_of
from paywatch import stack
from paywatch.config import default_config

FAULT = {"target": "issuer", "effect": "error", "channel": "online", "probability": 0.4, "duration_s": 120}


def _missing(data: list[tuple[str, PanelData]]) -> list[str]:
    """``uid / panel / refId: expr`` for every query without a single numeric point (or, on a heatmap,
    without exemplars)."""
    out = []
    for uid, panel_data in data:
        for result in panel_data.results:
            points = [v for s in result.series for _, v in s.points if not math.isnan(v)]
            if result.error or not points:
                out.append(f"{uid} / {panel_data.panel.title} / {result.ref_id}: {result.error or result.expr}")
            # heatmap targets ask for exemplars: the probes' trace ids must come back with the buckets
            elif panel_data.panel.type == "heatmap" and not result.exemplars:
                out.append(f"{uid} / {panel_data.panel.title} / {result.ref_id}: no exemplars for {result.expr}")
    return out


async def _fetch_all(client: PrometheusClient, window: TimeWindow) -> list[tuple[str, PanelData]]:
    jobs = [(uid, panel) for uid in DASHBOARD_UIDS for panel in panels_of(dashboard_json(uid))]
    results = await asyncio.gather(*(fetch_panel(client, panel, window) for _, panel in jobs))
    return [(uid, data) for (uid, _), data in zip(jobs, results, strict=True)]


async def test_every_panel_query_returns_data_from_a_fast_profile_run(tmp_path: Path) -> None:
    started = time.time()
    async with stack.run_stack(
        default_config(), workdir=tmp_path, profile="fast", traffic_rate=20.0, incident_webhook_url=None
    ) as running:
        assert running.prometheus_url is not None
        url = f"{running.sandbox_url}/admin/faults"
        async with aiohttp.ClientSession() as session, session.post(url, json=FAULT) as answer:
            assert answer.status == 201, await answer.text()
        async with PrometheusClient(running.prometheus_url) as client:
            missing: list[str] = ["not queried yet"]
            deadline = time.monotonic() + 75
            # poll rather than sleep a fixed time: done as soon as every query has data
            while missing and time.monotonic() < deadline:
                await asyncio.sleep(3)
                window = TimeWindow(started, time.time(), scrape_interval_s=1.0)
                missing = _missing(await _fetch_all(client, window))
    assert missing == [], "\n".join(missing)
