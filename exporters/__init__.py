"""paywatch exporters: the metric contract, the probes' metrics sink, tracing, and the authorization-log exporter.

Names are imported on first use: the authorization-log exporter should not pay for OpenTelemetry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paywatch.lazy import lazy_exports

if TYPE_CHECKING:
    from exporters.http import MetricsServer, metrics_app, serve_metrics
    from exporters.metrics import CONTRACT_FAMILIES, LATENCY_BUCKETS, OTHER, FamilySpec, LabelGuard, ProbeFamilies
    from exporters.probe_sink import ProbeMetrics, exemplar_for
    from exporters.telemetry import ProbeTelemetry
    from exporters.tracing import (
        build_tracer_provider,
        export_configured,
        journey_attributes,
        step_attributes,
        trace_id_of,
    )

_WHERE = {
    "MetricsServer": "http",
    "metrics_app": "http",
    "serve_metrics": "http",
    "CONTRACT_FAMILIES": "metrics",
    "LATENCY_BUCKETS": "metrics",
    "OTHER": "metrics",
    "FamilySpec": "metrics",
    "LabelGuard": "metrics",
    "ProbeFamilies": "metrics",
    "ProbeMetrics": "probe_sink",
    "exemplar_for": "probe_sink",
    "ProbeTelemetry": "telemetry",
    "build_tracer_provider": "tracing",
    "export_configured": "tracing",
    "journey_attributes": "tracing",
    "step_attributes": "tracing",
    "trace_id_of": "tracing",
}

__all__ = [
    "CONTRACT_FAMILIES",
    "LATENCY_BUCKETS",
    "OTHER",
    "FamilySpec",
    "LabelGuard",
    "MetricsServer",
    "ProbeFamilies",
    "ProbeMetrics",
    "ProbeTelemetry",
    "build_tracer_provider",
    "exemplar_for",
    "export_configured",
    "journey_attributes",
    "metrics_app",
    "serve_metrics",
    "step_attributes",
    "trace_id_of",
]


__getattr__ = lazy_exports(__name__, _WHERE)
