"""How probe results look to a person: the ``--once`` table, the live status board, log lines.

Only journey, region, step names, reasons, codes and timings are shown: never card data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from rich.table import Table

from probes.results import JourneyOutcome, JourneyResult

__all__ = ["StatusBoard", "result_line", "results_table"]


def _steps_ms(result: JourneyResult) -> str:
    return " ".join(f"{s.step}={s.duration_s * 1000:.0f}" for s in result.steps)


def results_table(results: Iterable[JourneyResult], title: str = "paywatch probe") -> Table:
    table = Table(title=title)
    for column in ("journey", "region", "outcome", "steps (ms)", "reason"):
        table.add_column(column, overflow="fold")
    for r in sorted(results, key=lambda r: (r.journey, r.region)):
        style = "green" if r.outcome is JourneyOutcome.SUCCESS else "red"
        reason = r.reason.value if r.failed_step is None else f"{r.reason.value} at {r.failed_step.step}"
        table.add_row(r.journey, r.region, f"[{style}]{r.outcome.value}[/{style}]", _steps_ms(r), reason)
    return table


def result_line(result: JourneyResult) -> str:
    """One plain log line per run, for non-interactive output."""
    failed = result.failed_step
    where = f" step={failed.step} detail={failed.detail!r}" if failed else ""
    return (
        f"journey={result.journey} region={result.region} outcome={result.outcome.value} "
        f"reason={result.reason.value} duration_ms={result.duration_s * 1000:.1f}{where}"
    )


class StatusBoard:
    """A ``ResultSink`` keeping the latest run per journey and region, and open holds."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.latest: dict[tuple[str, str], JourneyResult] = {}
        self.open_holds: dict[tuple[str, str], int] = {}
        self.on_change = on_change

    def record_journey(self, result: JourneyResult) -> None:
        self.latest[(result.journey, result.region)] = result
        if self.on_change:
            self.on_change()

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        self.open_holds[(journey, region)] = count
        if self.on_change:
            self.on_change()

    def render(self) -> Table:
        holds = sum(self.open_holds.values())
        table = results_table(self.latest.values(), title=f"paywatch probe: {time.strftime('%H:%M:%S')}")
        table.caption = f"synthetic authorizations awaiting reversal: {holds}"
        return table
