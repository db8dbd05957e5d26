"""The passive authorization-log exporter: tails JSON-lines logs and exposes authorization metrics."""

from exporters.authlog.aggregate import LineParser, Totals
from exporters.authlog.checkpoint import Checkpoint, CheckpointError, CheckpointStore, FilePosition
from exporters.authlog.exporter import (
    DEFAULT_ADDRESS,
    AuthlogCollector,
    AuthlogExporter,
    AuthlogService,
    run_authlog_exporter,
    serve_authlog,
)
from exporters.authlog.format import LogFormat, load_format
from exporters.authlog.tailer import FileTailer

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
