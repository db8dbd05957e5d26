"""``paywatch probe``: run the synthetic journeys once (table or JSON) or continuously.

Continuous mode serves /metrics and exports traces through ``exporters.telemetry`` when present.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live

from paywatch.config import ConfigError, PaywatchConfig, load_config
from probes import runtime
from probes.results import JourneyOutcome, JourneyResult, ResultSink
from probes.scheduler import plan, run_once, run_probes
from probes.view import StatusBoard, result_line, results_table

__all__ = ["register"]

log = logging.getLogger(__name__)


def _select(config: PaywatchConfig, regions: Sequence[str], journeys: Sequence[str]) -> None:
    known_regions = {r.name for r in config.regions}
    known_journeys = {j.name for j in config.journeys}
    unknown = [f"region {r!r}" for r in regions if r not in known_regions]
    unknown += [f"journey {j!r}" for j in journeys if j not in known_journeys]
    if unknown:
        raise ConfigError(
            f"unknown {', '.join(unknown)} (configured regions: {', '.join(sorted(known_regions))}; "
            f"journeys: {', '.join(sorted(known_journeys))})"
        )
    plan(config, regions, journeys)  # loads user journey modules now, so a bad one fails here


@contextlib.asynccontextmanager
async def _telemetry(config: PaywatchConfig) -> AsyncIterator[tuple[ResultSink | None, Any]]:
    if importlib.util.find_spec("exporters.telemetry") is None:
        log.warning("exporters.telemetry not installed: no /metrics endpoint, no trace export")
        yield None, None
        return
    telemetry_module = importlib.import_module("exporters.telemetry")
    async with telemetry_module.ProbeTelemetry.start(config) as telemetry:
        yield telemetry.sink, telemetry.tracer_provider


async def _continuous(
    config: PaywatchConfig, regions: Sequence[str], journeys: Sequence[str], console: Console
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Outside the main thread (embedded use) signals are not ours to take: the caller stops us.
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    board = StatusBoard()
    async with _telemetry(config) as (sink, provider):
        sinks: list[ResultSink] = [board] + ([sink] if sink is not None else [])
        if console.is_terminal:
            with Live(board.render(), console=console, refresh_per_second=4) as live:
                board.on_change = lambda: live.update(board.render())
                await run_probes(config, sinks, provider, stop, regions=regions, journeys=journeys)
        else:
            board.on_change = _LinePrinter(board, console)
            await run_probes(config, sinks, provider, stop, regions=regions, journeys=journeys)


class _LinePrinter:
    """Without a terminal: one plain line per finished run."""

    def __init__(self, board: StatusBoard, console: Console) -> None:
        self._board, self._console = board, console
        self._printed: JourneyResult | None = None

    def __call__(self) -> None:
        newest = max(self._board.latest.values(), key=lambda r: r.started_at + r.duration_s, default=None)
        if newest is not None and newest is not self._printed:
            self._printed = newest
            self._console.print(result_line(newest), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe(
        config_path: Annotated[
            Path | None, typer.Option("--config", "-c", help="YAML configuration file (default: built-in).")
        ] = None,
        once: Annotated[bool, typer.Option("--once", help="Run each journey once in each region, then exit.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="With --once: print results as JSON.")] = False,
        region: Annotated[list[str] | None, typer.Option("--region", help="Only this region (repeatable).")] = None,
        journey: Annotated[list[str] | None, typer.Option("--journey", help="Only this journey (repeatable).")] = None,
    ) -> None:
        """Run the synthetic journeys: once (exit 1 if any failed) or continuously until Ctrl-C."""
        errors = Console(stderr=True)
        regions, journeys = tuple(region or ()), tuple(journey or ())
        if as_json and not once:
            errors.print("--json needs --once", highlight=False)
            raise typer.Exit(2)
        try:
            config = load_config(config_path)
            _select(config, regions, journeys)
        except ConfigError as exc:
            errors.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(1) from None
        if not once:
            runtime.run(_continuous(config, regions, journeys, Console()))
            return
        results = runtime.run(run_once(config, regions=regions, journeys=journeys))
        if as_json:
            sys.stdout.write(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
        else:
            Console().print(results_table(results))
        if any(r.outcome is JourneyOutcome.FAILURE for r in results):
            raise typer.Exit(1)
