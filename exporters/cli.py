"""``paywatch export authlog``: tail authorization logs and serve their metrics, or count them once."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from paywatch.config import ConfigError, load_config

__all__ = ["register"]

console = Console(stderr=True)


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise typer.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _summary(totals: Any) -> dict[str, Any]:
    """The ``--once --json`` shape."""
    from datetime import UTC, datetime

    from exporters.metrics import LATENCY_BUCKETS

    newest = totals.newest_event
    return {
        "lines": dict(totals.lines),
        "authorizations": [
            {"source": s, "channel": c, "outcome": o, "reason": r, "count": n}
            for (s, c, o, r), n in sorted(totals.authorizations.items())
        ],
        "latency": [
            {
                "source": s,
                "channel": c,
                "count": sum(row),
                "sum_seconds": round(totals.latency_sum.get((s, c), 0.0), 6),
                "buckets": dict(zip([*(str(b) for b in LATENCY_BUCKETS), "+Inf"], row, strict=True)),
            }
            for (s, c), row in sorted(totals.buckets.items())
        ],
        "rotations": dict(totals.rotations),
        "newest_event": datetime.fromtimestamp(newest, UTC).isoformat() if newest is not None else None,
    }


def _print_table(summary: dict[str, Any]) -> None:
    table = Table(title="authorizations")
    for column in ("source", "channel", "outcome", "reason"):
        table.add_column(column)
    table.add_column("count", justify="right")
    for row in summary["authorizations"]:
        table.add_row(row["source"], row["channel"], row["outcome"], row["reason"], str(row["count"]))
    out = Console()
    out.print(table)
    lines = summary["lines"]
    out.print(f"lines: {lines['ok']} ok, {lines['malformed']} malformed, {lines['ignored']} ignored")
    out.print(f"newest event: {summary['newest_event'] or '-'}")


async def _follow(paths: list[Path], host: str, port: int, checkpoint: Path | None, fmt: Any) -> None:
    from exporters.authlog import serve_authlog

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve_authlog(paths, host=host, port=port, checkpoint=checkpoint, fmt=fmt) as service:
        console.print(f"serving {service.url}", highlight=False, soft_wrap=True)
        await stop.wait()


def register(app: typer.Typer) -> None:
    export = typer.Typer(help="Exporters of passive data sources.", no_args_is_help=True)

    @export.command("authlog")
    def authlog(
        path: Annotated[
            list[Path] | None, typer.Option("--path", help="JSON-lines authorization log (repeatable).")
        ] = None,
        once: Annotated[bool, typer.Option("--once", help="Read the files to their end, print totals, exit.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="With --once: print the totals as JSON.")] = False,
        listen: Annotated[str, typer.Option("--listen", help="HOST:PORT for /metrics.")] = "127.0.0.1:9471",
        checkpoint: Annotated[
            Path | None, typer.Option("--checkpoint", help="Offsets and totals kept across restarts.")
        ] = None,
        log_format: Annotated[
            Path | None, typer.Option("--format", help="YAML field mapping for another log layout.")
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", "-c", help="YAML configuration (default log: sandbox.event_log).")
        ] = None,
    ) -> None:
        """Tail authorization logs; serve paywatch_authorizations_total and friends on /metrics."""
        from exporters.authlog import AuthlogExporter, CheckpointError, load_format

        host, port = _listen(listen)
        try:
            settings = load_config(config)
            fmt = load_format(log_format)
        except ConfigError as exc:
            raise _fail(str(exc)) from None
        paths = list(path or ([settings.sandbox.event_log] if settings.sandbox.event_log else []))
        if not paths:
            raise _fail("no log to read: give --path FILE (or sandbox.event_log in --config)")
        if once:
            missing = [str(p) for p in paths if not p.exists()]
            if missing:
                raise _fail(f"no such file: {', '.join(missing)}")
            try:
                exporter = AuthlogExporter(paths, fmt=fmt, checkpoint=checkpoint)
            except CheckpointError as exc:
                raise _fail(str(exc)) from None
            summary = _summary(exporter.read_to_end())
            exporter.close()
            if as_json:
                sys.stdout.buffer.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
            else:
                _print_table(summary)
            return
        try:
            asyncio.run(_follow(paths, host, port, checkpoint, fmt))
        except CheckpointError as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"cannot listen on {listen}: {exc.strerror}") from None

    app.add_typer(export, name="export")
