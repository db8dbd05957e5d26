"""Serving the authorization-log exporter: a reader loop in a worker thread and /metrics on aiohttp.

``serve_authlog`` is an async context manager for tests and the stack; ``run_authlog_exporter`` runs
until a stop event is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from exporters.authlog.exporter import POLL_BUDGET, AuthlogCollector, AuthlogExporter
from exporters.authlog.format import LogFormat
from exporters.http import MetricsServer, serve_metrics

__all__ = ["DEFAULT_ADDRESS", "AuthlogService", "run_authlog_exporter", "serve_authlog"]

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = ("127.0.0.1", 9471)


@dataclass(frozen=True)
class AuthlogService:
    exporter: AuthlogExporter
    registry: CollectorRegistry
    server: MetricsServer

    @property
    def url(self) -> str:
        return self.server.url


@asynccontextmanager
async def serve_authlog(
    paths: Iterable[Path | str],
    *,
    host: str = DEFAULT_ADDRESS[0],
    port: int = DEFAULT_ADDRESS[1],
    checkpoint: Path | str | None = None,
    fmt: LogFormat | None = None,
    registry: CollectorRegistry | None = None,
    interval_s: float = 0.25,
    commit_interval_s: float = 1.0,
) -> AsyncIterator[AuthlogService]:
    """Tail ``paths`` and serve their metrics on ``host:port`` until the block exits (then commit)."""
    exporter = AuthlogExporter(list(paths), fmt=fmt, checkpoint=checkpoint)
    registry = registry if registry is not None else CollectorRegistry()
    registry.register(AuthlogCollector(exporter))

    def health() -> tuple[bool, str]:
        stalled = time.monotonic() - exporter.last_poll > max(10 * interval_s, 5.0)
        return (not stalled, "reader stalled" if stalled else "ok")

    stopping = asyncio.Event()

    async def follow() -> None:
        last_commit, pending, failing = time.monotonic(), False, False
        while not stopping.is_set():
            try:
                got = await asyncio.to_thread(exporter.poll)
            except Exception:  # telemetry never crashes its host: log, wait, try again
                log.exception("authlog poll failed")
                got = 0
            pending = pending or got > 0
            # Commit once caught up (fresh scrapes), at least every commit_interval_s while busy, and
            # after a failed write no more often than that.
            due = time.monotonic() - last_commit >= commit_interval_s
            if pending and (due or (got == 0 and not failing)):
                failing = not await asyncio.to_thread(exporter.commit)
                pending, last_commit = failing, time.monotonic()
            if got < POLL_BUDGET:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), interval_s)

    await asyncio.to_thread(exporter.commit)  # publish restored totals (and record positions) at once
    task = asyncio.create_task(follow(), name="authlog-follow")
    try:
        async with serve_metrics(registry, host, port, health=health) as server:
            yield AuthlogService(exporter, registry, server)
    finally:
        # Stop the reader between polls (a poll runs in a thread and cannot be cancelled midway).
        stopping.set()
        await task
        await asyncio.to_thread(exporter.commit)
        exporter.close()


async def run_authlog_exporter(
    paths: Iterable[Path | str],
    host: str = DEFAULT_ADDRESS[0],
    port: int = DEFAULT_ADDRESS[1],
    checkpoint: Path | str | None = None,
    stop_event: asyncio.Event | None = None,
    *,
    fmt: LogFormat | None = None,
) -> None:
    """Run until ``stop_event`` is set (or forever): the entry point for the stack orchestration."""
    stop = stop_event if stop_event is not None else asyncio.Event()
    async with serve_authlog(paths, host=host, port=port, checkpoint=checkpoint, fmt=fmt) as service:
        log.info("authlog exporter serving %s", service.url)
        await stop.wait()
