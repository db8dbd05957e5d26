"""Fixtures: a real sandbox on free loopback ports, an HTTP session and an ISO 8583 terminal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from paywatch.config import PaywatchConfig, default_config
from sandbox import RunningSandbox, start_sandbox
from tests.sandbox.helpers import PROBE_KEY, Terminal


@pytest.fixture
def config() -> PaywatchConfig:
    return default_config()


@pytest.fixture
async def sandbox(config: PaywatchConfig, tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(config, http_port=0, iso_port=0, event_log=tmp_path / "events.jsonl") as running:
        yield running


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {PROBE_KEY}", "X-Paywatch-Region": "north"}
    async with aiohttp.ClientSession(
        base_url=sandbox.http_url, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
    ) as session:
        yield session


@pytest.fixture
async def terminal(sandbox: RunningSandbox) -> AsyncIterator[Terminal]:
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    term = Terminal(reader, writer)
    yield term
    await term.close()
