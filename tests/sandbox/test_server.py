"""start_sandbox: addresses, the default event-log path, and a clean shutdown with requests still held."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from paywatch.config import PaywatchConfig, default_config
from paywatch.iso8583 import encode, write_frame
from sandbox import EVENT_LOG_NAME, start_sandbox
from tests.sandbox.helpers import PROBE_KEY, authorization_message


def _with_sandbox(**settings: object) -> PaywatchConfig:
    base = default_config()
    return base.model_copy(update={"sandbox": base.sandbox.model_copy(update=settings)})


async def test_default_event_log_is_in_the_state_dir(tmp_path: Path) -> None:
    async with start_sandbox(_with_sandbox(state_dir=tmp_path), http_port=0, iso_port=0) as sandbox:
        assert sandbox.event_log == tmp_path / EVENT_LOG_NAME
        assert sandbox.event_log.exists()
        assert sandbox.http_url.startswith("http://127.0.0.1:") and sandbox.iso_host == "127.0.0.1"


async def test_configured_event_log_wins(tmp_path: Path) -> None:
    log = tmp_path / "custom" / "auth.jsonl"
    async with start_sandbox(_with_sandbox(event_log=log, state_dir=tmp_path), http_port=0, iso_port=0) as sandbox:
        assert sandbox.event_log == log and log.exists()


async def test_shutdown_with_held_requests_and_open_terminals_leaves_nothing_running(tmp_path: Path) -> None:
    config = default_config()
    async with start_sandbox(config, http_port=0, iso_port=0, event_log=tmp_path / "e.jsonl") as sandbox:
        session = aiohttp.ClientSession(base_url=sandbox.http_url, headers={"Authorization": f"Bearer {PROBE_KEY}"})
        async with session.post("/admin/faults", json={"target": "card_api", "effect": "timeout"}) as resp:
            assert resp.status == 201
        async with session.post("/admin/faults", json={"target": "pos_host", "effect": "timeout"}) as resp:
            assert resp.status == 201
        held = [asyncio.create_task(session.get("/v1/credit-lines/CL-SYN-NORTH-ONLINE")) for _ in range(5)]
        terminals = [await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port) for _ in range(5)]

        for _, writer in terminals:
            await write_frame(writer, encode(authorization_message(config, "000001")))
        await asyncio.sleep(0.2)
        assert not any(t.done() for t in held)
        http_port, iso_port = int(sandbox.http_url.rsplit(":", 1)[1]), sandbox.iso_port
    # the held HTTP requests are dropped, the terminals' connections closed, the ports free
    for task in held:
        with pytest.raises(aiohttp.ClientError):
            await task
    for reader, writer in terminals:
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
    await session.close()
    for port in (http_port, iso_port):
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert leftovers == []


def test_default_addresses_are_the_protocols_on_loopback() -> None:
    settings = default_config().sandbox
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8480)
    assert (settings.iso.host, settings.iso.port) == ("127.0.0.1", 8583)
