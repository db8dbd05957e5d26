"""The ``/metrics`` and ``/healthz`` HTTP server shared by the probe and authlog exporters.

``/metrics`` negotiates the format: OpenMetrics (with exemplars) when the Accept header asks for
it, the classic text format otherwise, as Prometheus and older scrapers expect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from paywatch.webserver import SafeAppRunner

__all__ = ["HealthCheck", "MetricsServer", "metrics_app", "serve_metrics"]

HealthCheck = Callable[[], tuple[bool, str]]
"""Returns (healthy, detail) for ``/healthz``."""


def metrics_app(registry: CollectorRegistry, health: HealthCheck | None = None) -> web.Application:
    async def metrics(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = encoder(registry)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def healthz(request: web.Request) -> web.Response:
        ok, detail = health() if health is not None else (True, "ok")
        return web.json_response({"status": "ok" if ok else "unhealthy", "detail": detail}, status=200 if ok else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


class MetricsServer:
    """A running server; ``url`` is the full ``/metrics`` address with the port actually bound."""

    def __init__(self, runner: web.AppRunner, host: str, port: int) -> None:
        self.runner = runner
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/metrics"


@asynccontextmanager
async def serve_metrics(
    registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0, health: HealthCheck | None = None
) -> AsyncIterator[MetricsServer]:
    """Serve ``registry`` on ``host:port`` (port 0 picks a free one) until the block exits."""
    runner = SafeAppRunner(metrics_app(registry, health), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        yield MetricsServer(runner, host, bound)
    finally:
        await runner.cleanup()
