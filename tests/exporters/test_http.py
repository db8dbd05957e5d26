"""The /metrics server: content negotiation over a real socket, /healthz, and ProbeTelemetry's lifecycle."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from exporters import ProbeTelemetry, serve_metrics
from exporters.authlog import DEFAULT_ADDRESS
from exporters.http import HealthCheck
from paywatch.cards import find_pans
from paywatch.config import default_config

from .helpers import TRACE_ID, journey

PAN = b"4111111111111111"

OPENMETRICS = "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"


@pytest.mark.parametrize(
    ("accept", "content_type", "has_exemplar"),
    [
        pytest.param(OPENMETRICS, "application/openmetrics-text", True, id="prometheus-openmetrics"),
        pytest.param("text/plain", "text/plain", False, id="plain-text"),
        pytest.param("", "text/plain", False, id="no-accept"),
    ],
)
async def test_metrics_negotiates_format(accept: str, content_type: str, has_exemplar: bool) -> None:
    registry = CollectorRegistry()
    async with ProbeTelemetry.start(default_config(), registry=registry, port=0) as telemetry:
        telemetry.sink.record_journey(journey())
        async with aiohttp.ClientSession() as session, session.get(telemetry.url, headers={"Accept": accept}) as resp:
            body = await resp.text()
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith(content_type)
    assert (f'trace_id="{TRACE_ID}"' in body) is has_exemplar
    assert "paywatch_probe_runs_total" in body
    assert body.rstrip().endswith("# EOF") is has_exemplar


def test_default_addresses_are_loopback_9470_and_9471() -> None:
    probe = default_config().probe.metrics
    assert (probe.host, probe.port) == ("127.0.0.1", 9470)
    assert DEFAULT_ADDRESS == ("127.0.0.1", 9471)


async def test_telemetry_binds_loopback_and_reports_the_bound_port() -> None:
    async with ProbeTelemetry.start(default_config(), port=0) as telemetry:
        assert telemetry.url.startswith("http://127.0.0.1:")
        assert not telemetry.url.endswith(":0/metrics")
        assert telemetry.tracer_provider is not None
        with telemetry.tracer().start_as_current_span("run") as span:
            assert span.get_span_context().is_valid


@pytest.mark.parametrize(
    ("health", "status", "body_status"),
    [
        pytest.param(None, 200, "ok", id="default-healthy"),
        pytest.param(lambda: (False, "tailer stopped"), 503, "unhealthy", id="unhealthy"),
    ],
)
async def test_healthz(health: HealthCheck | None, status: int, body_status: str) -> None:
    async with (
        serve_metrics(CollectorRegistry(), port=0, health=health) as server,
        aiohttp.ClientSession() as session,
        session.get(server.base_url + "/healthz") as resp,
    ):
        payload = await resp.json()
    assert (resp.status, payload["status"]) == (status, body_status)


async def test_unparseable_scrape_request_repeats_no_card_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve_metrics(CollectorRegistry()) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"GET /metrics?" + PAN + b"\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
    assert b'"bad_request"' in answer
    assert find_pans(answer.decode("latin-1")) == [] and find_pans(caplog.text) == []
