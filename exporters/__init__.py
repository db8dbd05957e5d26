"""paywatch exporters: the metric contract, the probes' metrics sink, tracing, and the authorization-log exporter."""

from exporters.http import MetricsServer, metrics_app, serve_metrics
from exporters.metrics import (
    CONTRACT_FAMILIES,
    LATENCY_BUCKETS,
    OTHER,
    FamilySpec,
    LabelGuard,
    ProbeFamilies,
)
from exporters.probe_sink import ProbeMetrics, exemplar_for
from exporters.telemetry import ProbeTelemetry
from exporters.tracing import build_tracer_provider, export_configured, journey_attributes, step_attributes, trace_id_of

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
