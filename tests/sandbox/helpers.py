"""Helpers for sandbox tests: a POS terminal connection and request builders."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from paywatch.config import PaywatchConfig
from paywatch.iso8583 import Message, decode, encode, read_frame, transmission_datetime, write_frame
from sandbox.traffic import purchase_message

PROBE_KEY = "sandbox-probe-key"


class Terminal:
    """One POS terminal connection: send a message, read the answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._stan = 0

    def stan(self) -> str:
        self._stan += 1
        return f"{self._stan:06d}"

    async def send(self, message: Message, timeout: float = 5.0) -> Message | None:
        await write_frame(self.writer, encode(message))
        async with asyncio.timeout(timeout):
            body = await read_frame(self.reader)
        return None if body is None else decode(body)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def authorization_message(config: PaywatchConfig, stan: str, *, region: int = 0, **overrides: str) -> Message:
    """A 0100 purchase of 100 fen with the region's POS card at its first terminal."""
    reg = config.regions[region]
    message = purchase_message(
        reg.pos_card.pan.get_secret_value(),
        reg.pos_card.expiry.get_secret_value(),
        100,
        terminal_id=reg.terminals[0].id,
        merchant_id=reg.terminals[0].merchant_id,
        stan=stan,
        field7=transmission_datetime(),
    )
    message.update(overrides)
    return message


async def issue_active_card(http: aiohttp.ClientSession, credit_line_id: str = "CL-SYN-NORTH-ONLINE") -> dict[str, Any]:
    async with http.post("/v1/cards", json={"credit_line_id": credit_line_id}) as resp:
        assert resp.status == 201
        card: dict[str, Any] = await resp.json()
    async with http.post(f"/v1/cards/{card['card_id']}/activate", json={}) as resp:
        assert resp.status == 200
    return card


def purchase(card: dict[str, Any], amount: int = 100, **overrides: Any) -> dict[str, Any]:
    body = {
        "pan": card["pan"],
        "expiry": card["expiry"],
        "cvv": card["cvv"],
        "amount": amount,
        "currency": "156",
        "merchant_id": "MONLINESHOP0001",
    }
    body.update(overrides)
    return body
