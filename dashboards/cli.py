"""``paywatch dashboards``: generate (or check) the dashboard JSON, push it to Grafana, snapshot it to PNG."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

import paywatch
from dashboards.options import GeneratorOptions

__all__ = ["parse_duration", "register"]

console = Console(stderr=True, highlight=False)

_DEFAULTS = GeneratorOptions()
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

RunbookOption = Annotated[str, typer.Option("--runbook-base-url", help="Where runbooks/<AlertName>.md are published.")]
TracingOption = Annotated[
    str, typer.Option("--tracing-datasource-uid", help="Grafana uid of the tracing data source exemplars link to.")
]
DatasourceOption = Annotated[
    str, typer.Option("--prometheus-datasource-uid", help="Grafana uid of the Prometheus data source.")
]


def parse_duration(text: str) -> float:
    """``15m``, ``1h``, ``90s`` to seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise typer.BadParameter(f"{text!r}: expected a number and a unit (ms, s, m, h, d), e.g. 15m")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _options(runbook_base_url: str, tracing: str, datasource: str) -> GeneratorOptions:
    try:
        return GeneratorOptions(
            runbook_base_url=runbook_base_url, tracing_datasource_uid=tracing, prometheus_datasource_uid=datasource
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        console.print(f"[red]invalid option: {problems}[/red]")
        raise typer.Exit(2) from None


def _check_uids(uids: list[str]) -> None:
    from dashboards.generate import DASHBOARD_UIDS

    unknown = [u for u in uids if u not in DASHBOARD_UIDS]
    if unknown:
        raise typer.BadParameter(f"unknown dashboard {', '.join(unknown)}; known: {', '.join(DASHBOARD_UIDS)}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Grafana dashboards: generate, push, snapshot.", no_args_is_help=True)

    # Heavy modules (Grafana SDK, grafana-client, matplotlib) load inside the commands, so that
    # registering this group costs nothing for the other paywatch commands.
    @group.command("generate")
    def generate_command(
        check_only: Annotated[
            bool, typer.Option("--check", help="Write nothing; exit 1 if a file differs from the generator's.")
        ] = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write generated/ and provisioning/ here (default: the dashboards package)."),
        ] = None,
        runbook_base_url: RunbookOption = _DEFAULTS.runbook_base_url,
        tracing: TracingOption = _DEFAULTS.tracing_datasource_uid,
        datasource: DatasourceOption = _DEFAULTS.prometheus_datasource_uid,
    ) -> None:
        """Write dashboards/generated/*.json and the data source provisioning file from the generator."""
        from dashboards.generate import DASHBOARD_UIDS, PACKAGE_DIR, check, write

        options = _options(runbook_base_url, tracing, datasource)
        root = out or PACKAGE_DIR
        if check_only:
            drifted = check(options, root)
            for path in drifted:
                console.print(f"[red]out of date: {path}[/red]", soft_wrap=True)
            if drifted:
                console.print("run `paywatch dashboards generate` and commit the result")
                raise typer.Exit(1)
            typer.echo(f"{len(DASHBOARD_UIDS)} dashboards up to date in {root}")
            return
        changed = write(options, root)
        for path in changed:
            typer.echo(f"wrote {path}")
        typer.echo(f"{len(changed)} files changed")

    @group.command("push")
    def push_command(
        url: Annotated[str, typer.Option("--url", help="Grafana base URL, e.g. https://grafana.example.com")],
        token_file: Annotated[Path, typer.Option("--token-file", help="File holding a service account token.")],
        folder: Annotated[str, typer.Option("--folder", help="Grafana folder to save the dashboards in.")] = "paywatch",
        message: Annotated[str | None, typer.Option("--message", help="Version message in Grafana's history.")] = None,
        runbook_base_url: RunbookOption = _DEFAULTS.runbook_base_url,
        tracing: TracingOption = _DEFAULTS.tracing_datasource_uid,
        datasource: DatasourceOption = _DEFAULTS.prometheus_datasource_uid,
    ) -> None:
        """Save every dashboard in Grafana (overwriting by uid), creating FOLDER if needed."""
        from dashboards.generate import DASHBOARD_UIDS, dashboard_json
        from dashboards.push import PushError, push_dashboards, read_token

        options = _options(runbook_base_url, tracing, datasource)
        try:
            token = read_token(token_file)
            results = push_dashboards(
                url,
                token,
                [dashboard_json(uid, options) for uid in DASHBOARD_UIDS],
                folder=folder,
                message=message or f"paywatch {paywatch.__version__}: generated dashboards",
            )
        except PushError as exc:
            console.print(f"[red]{exc}[/red]", soft_wrap=True)
            raise typer.Exit(1) from None
        for result in results:
            typer.echo(f"{result.uid}: version {result.version} in folder {result.folder_uid} {result.url}")

    @group.command("snapshot")
    def snapshot_command(
        prometheus: Annotated[str, typer.Option("--prometheus", help="Prometheus base URL.")],
        out: Annotated[Path, typer.Option("--out", help="Directory for <uid>/index.html and the PNGs.")],
        dashboard: Annotated[
            list[str] | None, typer.Option("--dashboard", help="Dashboard uid (repeatable; default: all).")
        ] = None,
        range_text: Annotated[str, typer.Option("--range", help="How far back from now, e.g. 15m, 1h.")] = "15m",
        scrape_interval: Annotated[
            str, typer.Option("--scrape-interval", help="Prometheus scrape interval (sets $__rate_interval).")
        ] = "15s",
        require_data: Annotated[bool, typer.Option("--require-data", help="Exit 1 if any panel has no data.")] = False,
    ) -> None:
        """Render every panel of the dashboards from live Prometheus data to PNG, with an HTML page each."""
        from dashboards.generate import DASHBOARD_UIDS
        from dashboards.snapshot import PrometheusQueryError, snapshot_dashboards

        uids = dashboard or list(DASHBOARD_UIDS)
        _check_uids(uids)
        try:
            snapshots = asyncio.run(
                snapshot_dashboards(
                    prometheus,
                    out,
                    uids,
                    range_s=parse_duration(range_text),
                    scrape_interval_s=parse_duration(scrape_interval),
                )
            )
        except (PrometheusQueryError, FileNotFoundError) as exc:
            console.print(f"[red]{exc}[/red]", soft_wrap=True)
            raise typer.Exit(1) from None
        empty = 0
        for snap in snapshots:
            typer.echo(f"{snap.index} ({len(snap.images)} panels)")
            for title in snap.empty_panels:
                empty += 1
                console.print(f"  [yellow]no data: {title}[/yellow]", soft_wrap=True)
        typer.echo(f"{out / 'index.html'}")
        if require_data and empty:
            raise typer.Exit(1)

    app.add_typer(group, name="dashboards")
