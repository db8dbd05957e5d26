"""Helpers for fault tests: inject a fault, then observe what a client sees (an answer code, or how it was lost)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from typing import Any

import aiohttp

from paywatch.iso8583 import CodecError, Message, decode, encode, read_frame
from sandbox import RunningSandbox

LOST_WAIT_S = 0.3
"""How long a test waits before calling an answer lost; a timeout fault never answers at all."""
LATENCY_MS = 150


async def add_fault(http: aiohttp.ClientSession, **body: Any) -> str:
    body.setdefault("latency_ms", LATENCY_MS)
    body.setdefault("response_code", "05")
    async with http.post("/admin/faults", json=body) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["id"])


async def online_observation(
    http: aiohttp.ClientSession,
    path: str,
    body: dict[str, Any],
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> str:
    timeout = aiohttp.ClientTimeout(total=LOST_WAIT_S)
    try:
        async with http.request(method, path, json=body, headers=headers, timeout=timeout) as resp:
            text = await resp.text()
            if resp.status not in (200, 201):
                return f"http-{resp.status}"
    except TimeoutError:
        return "timeout"
    except aiohttp.ClientConnectionError:
        return "reset"
    try:
        answer = json.loads(text)
    except ValueError:
        return "malformed"
    return str(answer.get("response_code", answer.get("status")))


async def pos_observation(sandbox: RunningSandbox, message: Message) -> str:
    reader, writer = await asyncio.open_connection(sandbox.iso_host, sandbox.iso_port)
    try:
        body = encode(message)
        writer.write(struct.pack(">H", len(body)) + body)
        await writer.drain()
        try:
            async with asyncio.timeout(LOST_WAIT_S):
                frame = await read_frame(reader)
        except TimeoutError:
            return "timeout"
        except (ConnectionError, asyncio.IncompleteReadError):
            return "reset"
        if frame is None:
            return "reset"
        try:
            return decode(frame).get("39", "missing-39")
        except CodecError:
            return "malformed"
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
