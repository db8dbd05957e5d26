"""Which JSON fields of an authorization log line mean what: the sandbox's layout by default.

A real system's log is read by a mapping file (YAML) validated once into ``LogFormat``; dotted
names reach into nested objects (``"decision.code"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from paywatch.config import ConfigError

__all__ = ["LogFormat", "load_format"]

_FIELD = Annotated[str, Field(min_length=1, max_length=128)]


class LogFormat(BaseModel):
    """Field mapping of one log layout. ``outcome`` may be absent (derived from the reason), and
    ``reason`` too when ``response_code`` is mapped (classified as ISO 8583 field 39)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: _FIELD | None = "ts"
    timestamp_format: Literal["iso8601", "unix_seconds", "unix_millis"] = "iso8601"
    event: _FIELD | None = "event"
    """Field naming the event type; lines whose value differs from ``event_value`` are ignored."""
    event_value: str = "authorization"
    channel: _FIELD = "channel"
    channel_values: dict[str, Literal["online", "pos"]] = {}
    """The log's own channel names mapped onto ours, e.g. ``{"ecom": "online", "cp": "pos"}``."""
    source: _FIELD | None = "source"
    source_values: dict[str, Literal["synthetic", "production"]] = {}
    default_source: Literal["synthetic", "production"] = "production"
    outcome: _FIELD | None = "outcome"
    reason: _FIELD | None = "reason"
    response_code: _FIELD | None = "response_code"
    latency: _FIELD = "latency_ms"
    latency_unit: Literal["ms", "s"] = "ms"

    @property
    def nested(self) -> bool:
        fields = (self.timestamp, self.event, self.channel, self.source, self.outcome, self.reason)
        return any(f is not None and "." in f for f in (*fields, self.response_code, self.latency))


def load_format(path: Path | str | None) -> LogFormat:
    """The mapping in ``path`` (YAML), or the sandbox's layout when ``path`` is None."""
    if path is None:
        return LogFormat()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return LogFormat.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{path}: invalid log format"]
        for error in exc.errors(include_input=False, include_url=False):
            problems.append(f"  {'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}")
        raise ConfigError("\n".join(problems)) from None
