"""Everything a probe process needs to be observed: metrics sink, tracer provider and /metrics server.

``async with ProbeTelemetry.start(config) as telemetry:`` serves 127.0.0.1:9470 (the configured
``probe.metrics``) and flushes pending spans on exit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

import paywatch
from exporters.http import MetricsServer, serve_metrics
from exporters.probe_sink import ProbeMetrics
from exporters.tracing import build_tracer_provider
from paywatch.config import PaywatchConfig

__all__ = ["ProbeTelemetry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeTelemetry:
    sink: ProbeMetrics
    tracer_provider: TracerProvider
    registry: CollectorRegistry
    server: MetricsServer

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/metrics`` with the port actually bound."""
        return self.server.url

    def tracer(self, name: str = "paywatch.probes") -> Tracer:
        return self.tracer_provider.get_tracer(name, paywatch.__version__)

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        config: PaywatchConfig,
        *,
        registry: CollectorRegistry | None = None,
        host: str | None = None,
        port: int | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> AsyncIterator[ProbeTelemetry]:
        """Serve metrics on ``host:port`` (default ``config.probe.metrics``; port 0 picks a free one)."""
        registry = registry if registry is not None else CollectorRegistry()
        provider = tracer_provider if tracer_provider is not None else build_tracer_provider("paywatch-probe")
        sink = ProbeMetrics(registry, config)
        endpoint = config.probe.metrics
        try:
            async with serve_metrics(
                registry, host if host is not None else endpoint.host, port if port is not None else endpoint.port
            ) as server:
                yield cls(sink=sink, tracer_provider=provider, registry=registry, server=server)
        finally:
            if tracer_provider is None:
                # Flushing may wait on an unreachable collector; keep the event loop free meanwhile.
                try:
                    await asyncio.to_thread(provider.shutdown)
                except Exception:
                    log.exception("tracer provider shutdown failed")
