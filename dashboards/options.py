"""Generator options: the few things that differ between installations of the dashboards.

Validated once into a frozen model; the committed JSON under ``dashboards/generated`` uses the defaults.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_RUNBOOK_BASE_URL", "JOURNEY_CHANNEL", "GeneratorOptions"]

DEFAULT_RUNBOOK_BASE_URL = "https://github.com/paywatch/paywatch/blob/main/runbooks"
"""Where ``runbooks/<AlertName>.md`` is published; alert rules link to the same place."""

JOURNEY_CHANNEL: dict[str, str] = {
    "virtual_card_online": "online",
    "credit_line_binding": "online",
    "pos_purchase": "pos",
}
"""The channel each built-in journey exercises: probe metrics carry ``region`` and ``journey`` but no
``channel``, so per-region channel panels select journeys by this table."""


class GeneratorOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    runbook_base_url: Annotated[str, Field(pattern=r"^(https?://|/)\S*[^/]$")] = DEFAULT_RUNBOOK_BASE_URL
    prometheus_datasource_uid: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "paywatch-prometheus"
    """The uid the provisioned Prometheus data source gets; the ``datasource`` variable defaults to it."""
    tracing_datasource_uid: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "paywatch-tracing"
    """The tracing data source (Tempo, Jaeger) exemplar ``trace_id`` links open."""
    exemplar_trace_label: Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")] = "trace_id"
    """The exemplar label holding the trace id, as the exporters write it."""

    def runbook_url(self, alert: str) -> str:
        return f"{self.runbook_base_url}/{alert}.md"
