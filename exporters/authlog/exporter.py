"""The passive authorization-log exporter's core: tailers, parser and checkpoint tied together.

Scrapes see ``published``, the totals of the last commit, so a counter never shows a value that a
restart could take back (see ``checkpoint`` for the guarantee).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

import paywatch
from exporters.authlog.aggregate import LineParser, Totals
from exporters.authlog.checkpoint import CheckpointStore, FilePosition
from exporters.authlog.format import LogFormat
from exporters.authlog.tailer import CHUNK, FileTailer
from exporters.metrics import (
    AUTHLOG_CHECKPOINT,
    AUTHLOG_LAG,
    AUTHLOG_LINES,
    AUTHLOG_NEWEST,
    AUTHLOG_ROTATIONS,
    AUTHORIZATION_DURATION,
    AUTHORIZATIONS,
    BUILD_INFO,
    LATENCY_BUCKETS,
    SINK_ERRORS,
)

__all__ = ["POLL_BUDGET", "AuthlogCollector", "AuthlogExporter"]

log = logging.getLogger(__name__)

POLL_BUDGET = 8 * CHUNK
"""Bytes read per poll: keeps commits (and so fresh scrapes) coming while a large backlog is read."""


class AuthlogExporter:
    """Counts the lines of ``paths`` into totals; ``commit`` checkpoints them and publishes them."""

    def __init__(
        self,
        paths: Sequence[Path | str],
        *,
        fmt: LogFormat | None = None,
        checkpoint: Path | str | None = None,
        grace_polls: int = 8,
    ) -> None:
        self.parser = LineParser(fmt)
        self.store = CheckpointStore(checkpoint) if checkpoint is not None else None
        restored = self.store.load() if self.store is not None else None
        self.totals = restored.totals if restored is not None else Totals()
        saved: dict[str, list[FilePosition]] = {}
        for position in restored.files if restored is not None else ():
            saved.setdefault(position.path, []).append(position)
        self.tailers = [
            FileTailer(p, saved.get(str(Path(p))), on_rotation=self._rotated, grace_polls=grace_polls) for p in paths
        ]
        self.published = self.totals.copy()
        self.committed_at: float | None = None
        self.commit_errors = 0
        self.read_errors = 0
        self._failing: set[Path] = set()
        self.last_poll = time.monotonic()

    def _rotated(self, kind: str) -> None:
        self.totals.rotations[kind] = self.totals.rotations.get(kind, 0) + 1

    def _feed(self, data: bytes) -> None:
        self.parser.feed(data, self.totals)

    def poll(self, *, final: bool = False, budget: int = POLL_BUDGET) -> int:
        """Read what is new in every file (up to ``budget`` bytes each); returns the bytes read.

        A file that cannot be read (permissions, a directory, an I/O error) is logged and counted, and
        the other files go on."""
        self.last_poll = time.monotonic()
        consumed = 0
        for tailer in self.tailers:
            try:
                consumed += tailer.read(self._feed, final=final, budget=budget)
            except OSError as exc:
                self.read_errors += 1
                if tailer.path not in self._failing:  # once per episode, not once per poll
                    self._failing.add(tailer.path)
                    log.warning("%s: cannot read: %s", tailer.path, exc.strerror or exc)
            else:
                if tailer.path in self._failing:
                    self._failing.discard(tailer.path)
                    log.info("%s: readable again", tailer.path)
        return consumed

    def commit(self) -> bool:
        """Checkpoint offsets with totals, then publish; a failed write is logged, counted, not published."""
        if self.store is not None:
            positions = [p for t in self.tailers for p in t.positions()]
            try:
                self.store.save(positions, self.totals)
            except OSError as exc:
                self.commit_errors += 1
                log.error("checkpoint %s not written: %s", self.store.path, exc)
                return False
        self.published = self.totals.copy()
        self.committed_at = time.time()
        return True

    def read_to_end(self) -> Totals:
        """Read every file to its end (rotated ones included), commit, and return the totals."""
        while self.poll(final=True, budget=64 * CHUNK):
            pass
        self.commit()
        return self.published

    def close(self) -> None:
        for tailer in self.tailers:
            tailer.close()


class AuthlogCollector(Collector):
    """Renders ``exporter.published`` at scrape time; nothing is counted through prometheus_client."""

    def __init__(self, exporter: AuthlogExporter) -> None:
        self.exporter = exporter

    def collect(self) -> Iterator[Metric]:
        totals = self.exporter.published
        authorizations = CounterMetricFamily(
            AUTHORIZATIONS.base_name, AUTHORIZATIONS.documentation, labels=AUTHORIZATIONS.labels
        )
        for key, count in sorted(totals.authorizations.items()):
            authorizations.add_metric(key, count)
        yield authorizations
        duration = HistogramMetricFamily(
            AUTHORIZATION_DURATION.name, AUTHORIZATION_DURATION.documentation, labels=AUTHORIZATION_DURATION.labels
        )
        bounds = [*(str(b) for b in LATENCY_BUCKETS), "+Inf"]
        for lkey, row in sorted(totals.buckets.items()):
            cumulative, running = [], 0
            for bound, count in zip(bounds, row, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            duration.add_metric(lkey, cumulative, totals.latency_sum.get(lkey, 0.0))
        yield duration
        lines = CounterMetricFamily(AUTHLOG_LINES.base_name, AUTHLOG_LINES.documentation, labels=AUTHLOG_LINES.labels)
        for status, count in sorted(totals.lines.items()):
            lines.add_metric((status,), count)
        yield lines
        rotations = CounterMetricFamily(
            AUTHLOG_ROTATIONS.base_name, AUTHLOG_ROTATIONS.documentation, labels=AUTHLOG_ROTATIONS.labels
        )
        for kind, count in sorted(totals.rotations.items()):
            rotations.add_metric((kind,), count)
        yield rotations
        if totals.newest_event is not None:
            yield GaugeMetricFamily(AUTHLOG_NEWEST.name, AUTHLOG_NEWEST.documentation, value=totals.newest_event)
            yield GaugeMetricFamily(
                AUTHLOG_LAG.name, AUTHLOG_LAG.documentation, value=max(0.0, time.time() - totals.newest_event)
            )
        if self.exporter.committed_at is not None:
            yield GaugeMetricFamily(
                AUTHLOG_CHECKPOINT.name, AUTHLOG_CHECKPOINT.documentation, value=self.exporter.committed_at
            )
        errors = CounterMetricFamily(SINK_ERRORS.base_name, SINK_ERRORS.documentation, labels=SINK_ERRORS.labels)
        errors.add_metric(("authlog_checkpoint",), self.exporter.commit_errors)
        errors.add_metric(("authlog_read",), self.exporter.read_errors)
        yield errors
        info = GaugeMetricFamily(BUILD_INFO.name, BUILD_INFO.documentation, labels=BUILD_INFO.labels)
        info.add_metric((paywatch.__version__, "authlog"), 1)
        yield info
