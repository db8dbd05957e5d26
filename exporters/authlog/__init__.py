"""The passive authorization-log exporter: tails JSON-lines logs and exposes authorization metrics.

Names are imported on first use, so ``--once`` runs never load the HTTP server's dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paywatch.lazy import lazy_exports

if TYPE_CHECKING:
    from exporters.authlog.aggregate import LineParser, Totals
    from exporters.authlog.checkpoint import Checkpoint, CheckpointError, CheckpointStore, FilePosition
    from exporters.authlog.exporter import AuthlogCollector, AuthlogExporter
    from exporters.authlog.format import LogFormat, load_format
    from exporters.authlog.service import DEFAULT_ADDRESS, AuthlogService, run_authlog_exporter, serve_authlog
    from exporters.authlog.tailer import FileTailer

_WHERE = {
    "LineParser": "aggregate",
    "Totals": "aggregate",
    "Checkpoint": "checkpoint",
    "CheckpointError": "checkpoint",
    "CheckpointStore": "checkpoint",
    "FilePosition": "checkpoint",
    "AuthlogCollector": "exporter",
    "AuthlogExporter": "exporter",
    "LogFormat": "format",
    "load_format": "format",
    "DEFAULT_ADDRESS": "service",
    "AuthlogService": "service",
    "run_authlog_exporter": "service",
    "serve_authlog": "service",
    "FileTailer": "tailer",
}

__all__ = [
    "DEFAULT_ADDRESS",
    "AuthlogCollector",
    "AuthlogExporter",
    "AuthlogService",
    "Checkpoint",
    "CheckpointError",
    "CheckpointStore",
    "FilePosition",
    "FileTailer",
    "LineParser",
    "LogFormat",
    "Totals",
    "load_format",
    "run_authlog_exporter",
    "serve_authlog",
]


__getattr__ = lazy_exports(__name__, _WHERE)
