"""Stack orchestration: sandbox, probes, exporters, Prometheus and Alertmanager, wired together.

``run_stack`` is what ``paywatch demo`` runs and what end-to-end tests start: real servers and
processes on 127.0.0.1, free ports unless fixed ones are asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from paywatch.alertfeed import AlertFeed
from paywatch.config import CardApiTarget, ConfigError, PaywatchConfig, PosHostTarget, Targets, load_config
from paywatch.processes import ManagedProcess, ProcessError, prometheus_config, start_alertmanager, start_prometheus
from probes.results import JourneyResult

__all__ = ["Stack", "StackPorts", "register", "run_stack", "scrape_jobs"]


def scrape_jobs() -> dict[str, str]:
    """Prometheus job names of the probe agent and the authlog exporter, from the alert spec's
    ``source_jobs`` (the rules select each source by its job, so the two must agree)."""
    import alerts

    jobs = alerts.load_spec().source_jobs
    return {"probe": jobs["synthetic"], "authlog": jobs["production"]}

Profile = Literal["production", "fast"]


@dataclass(frozen=True)
class StackPorts:
    """Ports to bind; 0 means a free port picked at run time."""

    sandbox_http: int = 0
    sandbox_iso: int = 0
    probe_metrics: int = 0
    authlog_metrics: int = 0
    prometheus: int = 0
    alertmanager: int = 0

    @classmethod
    def defaults(cls, config: PaywatchConfig) -> StackPorts:
        return cls(
            sandbox_http=config.sandbox.http.port,
            sandbox_iso=config.sandbox.iso.port,
            probe_metrics=config.probe.metrics.port,
            authlog_metrics=9471,
            prometheus=9090,
            alertmanager=9093,
        )


class LatestResults:
    """A result sink keeping the newest result per (journey, region), for the status view."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str, str], JourneyResult] = {}
        self.open_holds: dict[tuple[str, str], int] = {}

    def record_journey(self, result: JourneyResult) -> None:
        self.latest[(result.journey, result.region)] = result

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        self.open_holds[(journey, region)] = count


@dataclass
class Stack:
    config: PaywatchConfig
    workdir: Path
    sandbox_url: str
    iso_address: tuple[str, int]
    event_log: Path
    probe_metrics_url: str
    authlog_metrics_url: str
    prometheus_url: str | None
    alertmanager_url: str | None
    results: LatestResults
    alert_feed: AlertFeed | None
    processes: list[ManagedProcess] = field(default_factory=list)


def _with_profile(config: PaywatchConfig, profile: Profile) -> PaywatchConfig:
    return config.model_copy(update={"profile": profile, "time_scale": None})


def _aimed_at(config: PaywatchConfig, sandbox: Any) -> PaywatchConfig:
    targets = Targets(
        card_api=CardApiTarget(base_url=sandbox.http_url, api_key=config.targets.card_api.api_key),
        pos_host=PosHostTarget(host=sandbox.iso_host, port=sandbox.iso_port),
    )
    return config.model_copy(update={"targets": targets})


@contextlib.asynccontextmanager
async def run_stack(
    config: PaywatchConfig,
    *,
    workdir: Path,
    profile: Profile = "fast",
    traffic_rate: float = 20.0,
    incident_webhook_url: str | None = None,
    ports: StackPorts | None = None,
    with_prometheus: bool = True,
    with_alertmanager: bool = True,
) -> AsyncIterator[Stack]:
    """Run the whole chain until the block exits; everything is stopped on the way out."""
    import alerts
    import probes
    import sandbox as sandbox_pkg
    from exporters.authlog import serve_authlog
    from exporters.telemetry import ProbeTelemetry

    ports = ports or StackPorts()
    config = _with_profile(config, profile)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    event_log = workdir / "sandbox-events.jsonl"
    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []
    processes: list[ManagedProcess] = []
    feed: AlertFeed | None = None
    async with contextlib.AsyncExitStack() as exits:
        sandbox = await exits.enter_async_context(
            sandbox_pkg.start_sandbox(
                config,
                http_port=ports.sandbox_http,
                iso_port=ports.sandbox_iso,
                event_log=event_log,
                traffic_rate=traffic_rate,
            )
        )
        probe_config = _aimed_at(config, sandbox).model_copy(
            update={"probe": config.probe.model_copy(update={"state_dir": workdir / "probe-state"})}
        )
        telemetry = await exits.enter_async_context(ProbeTelemetry.start(probe_config, port=ports.probe_metrics))
        results = LatestResults()
        tasks.append(
            asyncio.create_task(
                probes.run_probes(
                    probe_config,
                    sinks=[telemetry.sink, results],
                    tracer_provider=telemetry.tracer_provider,
                    stop_event=stop,
                ),
                name="probes",
            )
        )
        authlog = await exits.enter_async_context(
            serve_authlog(
                [event_log],
                host="127.0.0.1",
                port=ports.authlog_metrics,
                checkpoint=workdir / "authlog-checkpoint.json",
            )
        )
        authlog_target = authlog.url.removeprefix("http://").split("/")[0]
        prometheus_url = alertmanager_url = None
        try:
            if with_alertmanager:
                feed = await AlertFeed().start()
                am_config = alerts.alertmanager_config(
                    time_scale=config.scale,
                    incident_webhook_url=incident_webhook_url or feed.url,
                    pager_url=feed.pager_url,
                    chat_url=feed.chat_url,
                    deadman_url=feed.deadman_url,
                )
                am = await start_alertmanager(workdir / "alertmanager", am_config, port=ports.alertmanager)
                processes.append(am)
                alertmanager_url = am.url
            if with_prometheus:
                rule_texts = alerts.rule_files(config.scale)
                jobs = scrape_jobs()
                prom_config = prometheus_config(
                    scrape_jobs={
                        jobs["probe"]: [telemetry.url.removeprefix("http://").split("/")[0]],
                        jobs["authlog"]: [authlog_target],
                    },
                    rule_files=sorted(rule_texts),
                    alertmanager=alertmanager_url.removeprefix("http://") if alertmanager_url else None,
                    interval_s=15 * config.scale,
                )
                prom = await start_prometheus(
                    workdir / "prometheus",
                    prom_config,
                    rule_texts,
                    port=ports.prometheus,
                    resend_delay_s=60 * config.scale,
                )
                processes.append(prom)
                prometheus_url = prom.url
            yield Stack(
                config=probe_config,
                workdir=workdir,
                sandbox_url=sandbox.http_url,
                iso_address=(sandbox.iso_host, sandbox.iso_port),
                event_log=event_log,
                probe_metrics_url=telemetry.url,
                authlog_metrics_url=authlog.url,
                prometheus_url=prometheus_url,
                alertmanager_url=alertmanager_url,
                results=results,
                alert_feed=feed,
                processes=processes,
            )
        finally:
            stop.set()
            done, pending = await asyncio.wait(tasks, timeout=15)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            for process in reversed(processes):
                await process.stop()
            if feed is not None:
                await feed.stop()


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        config_path: Annotated[Path | None, typer.Option("--config", "-c", help="YAML configuration file.")] = None,
        profile: Annotated[str, typer.Option(help="time profile: fast or production")] = "fast",
        traffic: Annotated[float, typer.Option(help="organic transactions per second")] = 10.0,
        workdir: Annotated[Path, typer.Option(help="where logs, state and Prometheus data go")] = Path("state/demo"),
        free_ports: Annotated[bool, typer.Option(help="bind free ports instead of the default addresses")] = False,
    ) -> None:
        """Run the whole stack against the sandbox until Ctrl-C, with a live status view."""
        from paywatch.demo_view import run_demo

        if profile not in ("fast", "production"):
            raise typer.BadParameter("profile must be fast or production", param_hint="--profile")
        try:
            config = load_config(config_path)
            ports = StackPorts() if free_ports else StackPorts.defaults(config)
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_demo(config, profile, traffic, workdir, ports, run_demo))  # type: ignore[arg-type]
        except (ConfigError, ProcessError, OSError) as exc:
            typer.echo(f"paywatch demo: {exc}", err=True)
            raise typer.Exit(1) from None


async def _demo(
    config: PaywatchConfig, profile: Profile, traffic: float, workdir: Path, ports: StackPorts, view: Any
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with run_stack(config, workdir=workdir, profile=profile, traffic_rate=traffic, ports=ports) as stack:
        await view(stack, stop)
