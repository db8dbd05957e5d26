"""Every environment variable paywatch reads, declared once with its meaning.

OpenTelemetry's own ``OTEL_*`` variables are read by the SDK and are listed here for reference.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "OTEL_VARIABLES",
    "PAYWATCH_CONFIG",
    "PAYWATCH_PROFILE",
    "PAYWATCH_STATE_DIR",
    "config_path",
    "profile_name",
    "state_dir",
]

PAYWATCH_CONFIG = "PAYWATCH_CONFIG"
"""Path of the YAML configuration file used when a command is given no ``--config``."""

PAYWATCH_STATE_DIR = "PAYWATCH_STATE_DIR"
"""Directory for state kept across restarts (pending reversals, checkpoints, logs). Default
``~/.local/state/paywatch``."""

PAYWATCH_PROFILE = "PAYWATCH_PROFILE"
"""Time profile (``production`` or ``fast``) applied when the configuration sets none."""

OTEL_VARIABLES = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SDK_DISABLED",
)
"""Standard OpenTelemetry variables, read by the SDK. Export is off unless an OTLP endpoint is set or
``OTEL_TRACES_EXPORTER=otlp``; ``OTEL_SDK_DISABLED=true`` turns tracing off entirely."""


def config_path() -> Path | None:
    value = os.environ.get(PAYWATCH_CONFIG)
    return Path(value) if value else None


def state_dir() -> Path:
    value = os.environ.get(PAYWATCH_STATE_DIR)
    if value:
        return Path(value)
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "paywatch"


def profile_name() -> str | None:
    return os.environ.get(PAYWATCH_PROFILE) or None
