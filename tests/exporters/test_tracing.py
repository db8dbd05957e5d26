"""Tracing: configuration from OTEL_* variables, the span tree of a journey, and a real OTLP/HTTP export."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import TracerProvider

from exporters import build_tracer_provider, export_configured, journey_attributes, step_attributes, trace_id_of
from paywatch.cards import find_pans
from paywatch.taxonomy import Reason

from .helpers import journey, step


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, False, id="off-by-default"),
        pytest.param({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True, id="endpoint"),
        pytest.param({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True, id="traces"),
        pytest.param({"OTEL_TRACES_EXPORTER": "otlp"}, True, id="exporter-otlp"),
        pytest.param(
            {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, False, id="none-wins"
        ),
        pytest.param({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False, id="sdk-disabled"),
        pytest.param({"OTEL_TRACES_EXPORTER": "zipkin"}, False, id="unsupported"),
    ],
)
def test_export_configured(environ: dict[str, str], expected: bool) -> None:
    assert export_configured(environ) is expected


def test_provider_without_export_has_no_processor_and_real_trace_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER"):
        monkeypatch.delenv(name, raising=False)
    provider = build_tracer_provider()
    with provider.get_tracer("t").start_as_current_span("run") as span:
        trace_id = trace_id_of(span)
    assert trace_id is not None and len(trace_id) == 32
    assert provider._active_span_processor._span_processors == ()
    provider.shutdown()


def _run_journey(provider: TracerProvider) -> str:
    """What the scheduler does: a root span per run, a child per step, attributes when each ends."""
    tracer = provider.get_tracer("probes")
    steps = (step("issue_card", channel=None), step("authorize", ok=False, reason=Reason.ISSUER_UNAVAILABLE))
    with tracer.start_as_current_span("journey virtual_card_online") as root:
        for s in steps:
            with tracer.start_as_current_span(f"step {s.step}") as span:
                span.set_attributes(step_attributes("virtual_card_online", "north", s))
        result = journey(steps=steps, trace_id=trace_id_of(root))
        root.set_attributes(journey_attributes(result))
    assert result.trace_id is not None
    return result.trace_id


def test_span_tree_one_trace_per_run_and_a_span_per_step() -> None:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider(environ={})
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # synchronous, so no flush race in the test
    first, second = _run_journey(provider), _run_journey(provider)
    provider.shutdown()
    spans = {(s.name, s.context.trace_id) for s in exporter.get_finished_spans()}
    assert first != second
    by_trace: dict[int, list] = {}
    for span in exporter.get_finished_spans():
        by_trace.setdefault(span.context.trace_id, []).append(span)
    assert len(by_trace) == 2
    for members in by_trace.values():
        root = next(s for s in members if s.parent is None)
        children = sorted(s.name for s in members if s.parent is not None and s.parent.span_id == root.context.span_id)
        assert children == ["step authorize", "step issue_card"]
    authorize = next(s for s in exporter.get_finished_spans() if s.name == "step authorize")
    assert dict(authorize.attributes or {}) | {"duration_s": 0} == {
        "journey": "virtual_card_online",
        "step": "authorize",
        "region": "north",
        "outcome": "failure",
        "reason": "issuer_unavailable",
        "response_code": "91",
        "channel": "online",
        "duration_s": 0,
    }
    everything = repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()]) + repr(spans)
    assert find_pans(everything) == []


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        pytest.param("91", "91", id="iso-code"),
        pytest.param("503", "503", id="http-status"),
        pytest.param("4111111111111111", "other", id="card-number"),
        pytest.param("05\n", "other", id="trailing-newline"),
    ],
)
def test_step_span_keeps_only_short_response_codes(code: str, kept: str) -> None:
    attributes = step_attributes("virtual_card_online", "north", replace(step("authorize"), response_code=code))
    assert attributes["response_code"] == kept


async def test_otlp_http_export_reaches_a_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[ExportTraceServiceRequest] = []

    async def traces(request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.read())
        received.append(message)
        return web.Response(status=200, content_type="application/x-protobuf", body=b"")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "paywatch-probe-test")
        provider = build_tracer_provider()
        trace_id = _run_journey(provider)
        # The exporter posts synchronously; flush from a thread so this loop can answer it.
        assert await asyncio.to_thread(provider.force_flush, 10_000)
        await asyncio.to_thread(provider.shutdown)
    finally:
        await runner.cleanup()
    spans = [
        (span.name, span.trace_id.hex())
        for message in received
        for resource_spans in message.resource_spans
        for scope in resource_spans.scope_spans
        for span in scope.spans
    ]
    assert sorted(spans) == sorted(
        [("journey virtual_card_online", trace_id), ("step issue_card", trace_id), ("step authorize", trace_id)]
    )
    service = {
        attr.value.string_value
        for message in received
        for rs in message.resource_spans
        for attr in rs.resource.attributes
        if attr.key == "service.name"
    }
    assert service == {"paywatch-probe-test"}
