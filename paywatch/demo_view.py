"""The demo's live status view: newest probe result per journey and region, open holds, alerts."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

if TYPE_CHECKING:
    from paywatch.stack import Stack

__all__ = ["render", "run_demo"]


def render(stack: Stack) -> Group:
    addresses = Table.grid(padding=(0, 2))
    for name, url in (
        ("card API", stack.sandbox_url),
        ("POS host", f"{stack.iso_address[0]}:{stack.iso_address[1]}"),
        ("probe /metrics", stack.probe_metrics_url),
        ("authlog /metrics", stack.authlog_metrics_url),
        ("Prometheus", stack.prometheus_url or "-"),
        ("Alertmanager", stack.alertmanager_url or "-"),
        ("event log", str(stack.event_log)),
    ):
        addresses.add_row(name, url)

    journeys = Table(title="synthetic journeys (newest run)", expand=True)
    for column in ("journey", "region", "outcome", "reason", "ms", "failed step", "open holds", "age s"):
        journeys.add_column(column)
    now = time.time()
    for (journey, region), result in sorted(stack.results.latest.items()):
        style = "green" if result.outcome.value == "success" else "red"
        failed = result.failed_step
        journeys.add_row(
            journey,
            region,
            f"[{style}]{result.outcome.value}[/{style}]",
            result.reason.value,
            f"{result.duration_s * 1000:.0f}",
            failed.step if failed else "-",
            str(stack.results.open_holds.get((journey, region), 0)),
            f"{now - result.started_at:.0f}",
        )

    alerts = Table(title="notifications received from Alertmanager", expand=True)
    for column in ("time", "receiver", "status", "alerts"):
        alerts.add_column(column)
    feed = stack.alert_feed
    for note in feed.notifications[-8:] if feed else []:
        alerts.add_row(
            time.strftime("%H:%M:%S", time.localtime(note.received_at)),
            note.receiver,
            note.status,
            ", ".join(sorted(note.alert_names())),
        )
    counts = (
        f"pager events (PagerDuty stand-in): {len(feed.pager_events)}   "
        f"chat messages (Slack stand-in): {len(feed.chat_messages)}   dead man's switch pings: {feed.deadman_pings}"
        if feed
        else ""
    )
    return Group(Panel(addresses, title="paywatch demo (Ctrl-C to stop)"), journeys, alerts, counts)


async def run_demo(stack: Stack, stop: asyncio.Event) -> None:
    console = Console()
    if not console.is_terminal:
        console.print(render(stack))
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 10)
            except TimeoutError:
                console.print(render(stack))
        return
    with Live(render(stack), console=console, refresh_per_second=2) as live:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                live.update(render(stack))
