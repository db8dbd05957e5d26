"""Fixtures of the probe tests: a real sandbox on free loopback ports and a probe config aimed at it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from paywatch.config import BUILTIN_JOURNEYS, CardApiTarget, JourneySpec, PaywatchConfig, PosHostTarget, default_config
from sandbox import RunningSandbox, start_sandbox

STEP_TIMEOUT_S = 0.5


def probe_config(base: PaywatchConfig, http_url: str, iso_host: str, iso_port: int, state_dir: Path) -> PaywatchConfig:
    """``base`` aimed at a running sandbox, with short timeouts and fast reversal retries."""
    journeys = [
        JourneySpec(name=name, interval_s=1.0, timeout_s=2.0, step_timeout_s=STEP_TIMEOUT_S, jitter=0.0)
        for name in BUILTIN_JOURNEYS
    ]
    return base.model_copy(
        update={
            "targets": base.targets.model_copy(
                update={
                    "card_api": CardApiTarget(base_url=http_url),
                    "pos_host": PosHostTarget(host=iso_host, port=iso_port),
                }
            ),
            "journeys": journeys,
            "time_scale": 1.0,
            "probe": base.probe.model_copy(
                update={"state_dir": state_dir, "reversal_backoff_initial_s": 0.05, "reversal_backoff_max_s": 0.2}
            ),
        }
    )


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(default_config(), http_port=0, iso_port=0, event_log=tmp_path / "events.jsonl") as box:
        yield box


@pytest.fixture
def config(sandbox: RunningSandbox, tmp_path: Path) -> PaywatchConfig:
    return probe_config(default_config(), sandbox.http_url, sandbox.iso_host, sandbox.iso_port, tmp_path / "state")


class Admin:
    """The sandbox's fault-injection admin API, as drills and outside tools drive it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.base_url + path, json=body) as response,
        ):
            payload = await response.json()
            assert response.status < 300, payload
            return payload

    async def inject(self, **fault: Any) -> str:
        return str((await self._call("POST", "/admin/faults", fault))["id"])

    async def clear(self) -> None:
        await self._call("DELETE", "/admin/faults")

    async def ledger(self) -> dict[str, Any]:
        return dict(await self._call("GET", "/admin/ledger"))


@pytest.fixture
def admin(sandbox: RunningSandbox) -> Admin:
    return Admin(sandbox.http_url)


def ledger_sync(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(base_url + "/admin/ledger", timeout=5) as response:
        return dict(json.loads(response.read()))
