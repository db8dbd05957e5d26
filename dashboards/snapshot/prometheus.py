"""A small Prometheus HTTP API client for snapshots: range, instant and exemplar queries over aiohttp.

Transport and API errors become ``PrometheusQueryError`` here, the only exception this package raises for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["Exemplar", "PrometheusClient", "PrometheusQueryError", "Series"]


class PrometheusQueryError(Exception):
    """A query Prometheus refused (bad expression) or could not answer (unreachable, timeout)."""


@dataclass(frozen=True, slots=True)
class Series:
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]
    """(unix time, value); NaN where Prometheus answered NaN."""

    @property
    def last(self) -> float | None:
        for _, value in reversed(self.points):
            if not math.isnan(value):
                return value
        return None


@dataclass(frozen=True, slots=True)
class Exemplar:
    labels: dict[str, str]
    """Exemplar labels, e.g. ``trace_id``."""
    timestamp: float
    value: float
    series_labels: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


class PrometheusClient:
    """Queries one Prometheus; use as ``async with PrometheusClient(url) as client``."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PrometheusClient:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, path: str, params: dict[str, str]) -> Any:
        if self._session is None:
            raise RuntimeError("PrometheusClient used outside 'async with'")
        try:
            async with self._session.post(f"{self.base_url}{path}", data=params) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise PrometheusQueryError(f"{self.base_url}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", "unknown error") if isinstance(body, dict) else "answer is not a JSON object"
            raise PrometheusQueryError(f"{response.status}: {error}")
        return body["data"]

    async def query_range(self, expr: str, start: float, end: float, step_s: float) -> list[Series]:
        data = await self._get(
            "/api/v1/query_range", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step_s:g}"}
        )
        return [
            Series(dict(item["metric"]), tuple((float(t), _number(v)) for t, v in item["values"]))
            for item in data["result"]
        ]

    async def query(self, expr: str, at: float) -> list[Series]:
        data = await self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
        if data["resultType"] == "scalar":
            t, v = data["result"]
            return [Series({}, ((float(t), _number(v)),))]
        return [
            Series(dict(item["metric"]), ((float(item["value"][0]), _number(item["value"][1])),))
            for item in data["result"]
        ]

    async def query_exemplars(self, expr: str, start: float, end: float) -> list[Exemplar]:
        data = await self._get("/api/v1/query_exemplars", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}"})
        return [
            Exemplar(dict(e.get("labels", {})), float(e["timestamp"]), _number(e["value"]), dict(group["seriesLabels"]))
            for group in data or []
            for e in group.get("exemplars", [])
        ]
