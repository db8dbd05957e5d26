"""``paywatch sandbox``: run the reference payment system until SIGINT or SIGTERM.

Prints the card API, POS host and admin addresses and the event-log path at start.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paywatch.cli import ConfigOption
from paywatch.config import ConfigError, PaywatchConfig, load_config
from sandbox.server import start_sandbox

__all__ = ["register"]

_console = Console(stderr=True, highlight=False)


async def _serve(
    config: PaywatchConfig, http_port: int | None, iso_port: int | None, traffic: float | None, event_log: Path | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with start_sandbox(
        config, http_port=http_port, iso_port=iso_port, event_log=event_log, traffic_rate=traffic
    ) as sandbox:
        rate = config.sandbox.traffic_rate if traffic is None else traffic
        typer.echo(f"card API   {sandbox.http_url}  (OpenAPI {sandbox.http_url}/openapi.json)")
        typer.echo(f"admin API  {sandbox.http_url}/admin/faults, {sandbox.http_url}/admin/ledger")
        typer.echo(f"POS host   {sandbox.iso_host}:{sandbox.iso_port}  (ISO 8583, 2-byte length prefix)")
        typer.echo(f"event log  {sandbox.event_log}")
        typer.echo(f"traffic    {rate or 0:g} authorizations/s" + ("" if rate else " (off)"))
        await stop.wait()
    typer.echo("sandbox stopped")


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox(
        config: ConfigOption = None,
        http_port: Annotated[int | None, typer.Option(help="card API port (default: config, 8480)")] = None,
        iso_port: Annotated[int | None, typer.Option(help="ISO 8583 port (default: config, 8583)")] = None,
        traffic: Annotated[float | None, typer.Option(help="organic authorizations per second")] = None,
        event_log: Annotated[Path | None, typer.Option(help="authorization event log (JSON lines)")] = None,
    ) -> None:
        """Run the reference payment sandbox (card API, POS host, fault admin API) until Ctrl-C."""
        try:
            loaded = load_config(config)
        except ConfigError as exc:
            _console.print(f"[red]{exc}[/red]", markup=True)
            raise typer.Exit(1) from None
        try:
            asyncio.run(_serve(loaded, http_port, iso_port, traffic, event_log))
        except OSError as exc:
            _console.print(f"[red]cannot start the sandbox: {exc.strerror or exc}[/red]", markup=True)
            raise typer.Exit(1) from None
