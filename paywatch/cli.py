"""The ``paywatch`` command: one typer app; each stage package adds its commands via ``register``."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paywatch.config import ConfigError, load_config

__all__ = ["COMMAND_MODULES", "build_app", "main"]

COMMAND_MODULES = (
    "sandbox.cli",
    "probes.cli",
    "exporters.cli",
    "alerts.cli",
    "dashboards.cli",
    "paywatch.stack",
)
"""Modules exposing ``register(app: typer.Typer) -> None``."""

console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML configuration file (default: built-in).")
]


def _config_app() -> typer.Typer:
    app = typer.Typer(help="Inspect and validate configuration.", no_args_is_help=True)

    @app.command("check")
    def check(path: Annotated[Path, typer.Argument(help="configuration file")]) -> None:
        """Validate FILE; print a summary, or the file, field and problem, exit 1."""
        try:
            config = load_config(path)
        except ConfigError as exc:
            console.print(f"[red]{exc}[/red]", markup=True, highlight=False)
            raise typer.Exit(1) from None
        journeys = ", ".join(j.name for j in config.journeys if j.enabled)
        regions = ", ".join(r.name for r in config.regions)
        typer.echo(f"{path}: ok (regions: {regions}; journeys: {journeys}; time_scale {config.scale:g})")

    return app


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="paywatch",
        help="Observability and incident response for card payments.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    app.add_typer(_config_app(), name="config")
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    build_app()()
