"""Start and stop the whole sandbox: ledger, decision engine, HTTP API, ISO 8583 host, organic traffic.

``start_sandbox`` is the one entry point; the CLI, the stack and the tests all go through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from paywatch import environment
from paywatch.config import PaywatchConfig
from paywatch.webserver import SafeAppRunner
from sandbox.decision import DecisionEngine
from sandbox.eventlog import EventLog
from sandbox.faults import FaultRegistry
from sandbox.http_api import build_app
from sandbox.iso_host import IsoHost
from sandbox.ledger import Ledger
from sandbox.seed import Portfolio, seed_ledger
from sandbox.traffic import TrafficGenerator

__all__ = ["EVENT_LOG_NAME", "RunningSandbox", "default_event_log", "start_sandbox"]

EVENT_LOG_NAME = "sandbox-events.jsonl"


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    http_url: str
    iso_host: str
    iso_port: int
    event_log: Path
    config: PaywatchConfig
    ledger: Ledger
    faults: FaultRegistry
    engine: DecisionEngine
    portfolio: Portfolio
    traffic: TrafficGenerator | None = None
    pos_host: IsoHost | None = None


def default_event_log(config: PaywatchConfig) -> Path:
    """``config.sandbox.event_log``, else ``sandbox-events.jsonl`` in the state directory."""
    if config.sandbox.event_log is not None:
        return config.sandbox.event_log
    return (config.sandbox.state_dir or environment.state_dir()) / EVENT_LOG_NAME


@contextlib.asynccontextmanager
async def start_sandbox(
    config: PaywatchConfig,
    *,
    http_port: int | None = None,
    iso_port: int | None = None,
    event_log: Path | None = None,
    traffic_rate: float | None = None,
) -> AsyncIterator[RunningSandbox]:
    """Run the sandbox until the block exits. A port of None is the config's, 0 a free one."""
    settings = config.sandbox
    ledger = Ledger(random.Random(settings.seed))
    portfolio = seed_ledger(ledger, config, random.Random(settings.seed + 1))
    terminals = {t.id: t for t in config.sandbox_terminals()}
    regions = frozenset({r.name for r in config.regions} | {t.region for t in terminals.values()})
    log_path = event_log or default_event_log(config)
    events = EventLog(log_path)
    faults = FaultRegistry()
    engine = DecisionEngine(
        ledger,
        faults,
        events,
        terminals,
        random.Random(settings.seed + 2),
        issuer_latency=(settings.issuer_latency_median_ms, settings.issuer_latency_sigma),
    )
    shutdown = asyncio.Event()
    api_keys = frozenset(k.get_secret_value() for k in settings.api_keys)
    app = build_app(engine, faults, api_keys, shutdown, regions)
    runner = SafeAppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    iso = IsoHost(engine, faults, terminals)
    traffic: TrafficGenerator | None = None
    try:
        await runner.setup()
        site = web.TCPSite(
            runner, settings.http.host, settings.http.port if http_port is None else http_port, backlog=1024
        )
        await site.start()
        http_host, bound_http_port = runner.addresses[0][:2]
        iso_host, bound_iso_port = await iso.start(
            settings.iso.host, settings.iso.port if iso_port is None else iso_port
        )
        http_url = f"http://{http_host}:{bound_http_port}"
        rate = settings.traffic_rate if traffic_rate is None else traffic_rate
        if rate > 0:
            traffic = TrafficGenerator(
                config, portfolio, ledger, http_url=http_url, iso_address=(iso_host, bound_iso_port), rate=rate
            )
            traffic.start()
        yield RunningSandbox(
            http_url=http_url,
            iso_host=iso_host,
            iso_port=bound_iso_port,
            event_log=log_path,
            config=config,
            ledger=ledger,
            faults=faults,
            engine=engine,
            portfolio=portfolio,
            traffic=traffic,
            pos_host=iso,
        )
    finally:
        shutdown.set()  # releases requests held open by timeout faults
        if traffic is not None:
            await traffic.stop()
        await iso.close()
        await runner.cleanup()
        events.close()
