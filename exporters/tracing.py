"""OpenTelemetry tracing for probes: an SDK TracerProvider configured from the standard OTEL_* variables.

There is always an SDK provider, so every run has a real trace id for exemplars; spans leave the
process only when OTLP export is configured. The attribute helpers (the keys probes/runner.py sets)
never carry card data.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, format_trace_id

from probes.results import JourneyResult, StepResult

__all__ = [
    "build_tracer_provider",
    "export_configured",
    "journey_attributes",
    "step_attributes",
    "trace_id_of",
]

log = logging.getLogger(__name__)

_CODE = re.compile(r"[0-9A-Za-z]{1,4}")
"""ISO 8583 field 39 (two characters), or an HTTP status."""
OTHER = "other"

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def export_configured(environ: Mapping[str, str] | None = None) -> bool:
    """True when the OTEL_* variables ask for OTLP export; off by default."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()}
    if "none" in exporters:
        return False
    if "otlp" in exporters:
        return True
    unsupported = exporters - {"otlp", "none"}
    if unsupported:
        log.warning("OTEL_TRACES_EXPORTER=%s: only otlp is supported here", ",".join(sorted(unsupported)))
    return any(env.get(name) for name in _ENDPOINT_VARIABLES)


def build_tracer_provider(
    service_name: str = "paywatch-probe",
    *,
    environ: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """An SDK provider; spans go to ``exporter`` if given, else to OTLP/HTTP when configured, else nowhere.

    ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` take precedence over ``service_name``."""
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES name the service when set; ours is the fallback.
    named_by_environment = SERVICE_NAME in OTELResourceDetector().detect().attributes
    resource = Resource.create() if named_by_environment else Resource.create({SERVICE_NAME: service_name})
    provider = TracerProvider(resource=resource)
    if exporter is None and export_configured(environ):
        # Imported here: the exporter pulls in requests and protobuf, needless when export is off.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def trace_id_of(span: Span) -> str | None:
    """The span's trace id as 32 hex digits, or None for a non-recording span."""
    context = span.get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else None


def journey_attributes(result: JourneyResult) -> dict[str, str | float]:
    """Attributes of a journey's root span, set when the run ends."""
    return {
        "journey": result.journey,
        "region": result.region,
        "outcome": result.outcome.value,
        "reason": result.reason.value,
        "duration_s": result.duration_s,
    }


def step_attributes(journey: str, region: str, step: StepResult) -> dict[str, str | float]:
    """Attributes of a step's span: journey, step, region, outcome, reason, response code; no card data."""
    attributes: dict[str, str | float] = {
        "journey": journey,
        "step": step.step,
        "region": region,
        "outcome": step.outcome.value,
        "reason": step.reason.value,
        "duration_s": step.duration_s,
    }
    if step.response_code is not None:
        # the target chose this text: anything but a short code (a card number, say) is not kept
        attributes["response_code"] = step.response_code if _CODE.fullmatch(step.response_code) else OTHER
    if step.authorization is not None:
        attributes["channel"] = step.authorization.channel
    return attributes
