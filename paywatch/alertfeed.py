"""A small Alertmanager webhook receiver that keeps what it was sent, with arrival times.

Besides the webhook (``/alerts``, ``/deadman``) it serves stand-ins for the two vendor APIs that
cannot run here: ``/pager`` (PagerDuty Events API v2 stand-in) and ``/chat`` (Slack incoming
webhook stand-in); each checks the fields the vendor requires. The demo shows what arrived on
screen; end-to-end tests read it to time the chain. Malformed posts are answered 400 and counted.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from paywatch.webserver import SafeAppRunner

__all__ = ["AlertFeed", "Notification"]


@dataclass(frozen=True)
class Notification:
    received_at: float
    receiver: str
    status: str
    alerts: tuple[dict[str, Any], ...]

    def alert_names(self) -> set[str]:
        return {str(a.get("labels", {}).get("alertname", "")) for a in self.alerts}


@dataclass
class AlertFeed:
    host: str = "127.0.0.1"
    port: int = 0
    notifications: list[Notification] = field(default_factory=list)
    pager_events: list[dict[str, Any]] = field(default_factory=list)
    chat_messages: list[dict[str, Any]] = field(default_factory=list)
    deadman_pings: int = 0
    malformed: int = 0
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/alerts"

    @property
    def pager_url(self) -> str:
        return f"{self.base_url}/pager"

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat"

    @property
    def deadman_url(self) -> str:
        return f"{self.base_url}/deadman"

    async def start(self) -> AlertFeed:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/alerts", self._receive)
        app.router.add_post("/deadman", self._deadman)
        app.router.add_post("/pager", self._pager)
        app.router.add_post("/chat", self._chat)
        self._runner = SafeAppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
            alerts = tuple(a for a in body["alerts"] if isinstance(a, dict))
            notification = Notification(time.time(), str(body.get("receiver", "")), str(body["status"]), alerts)
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return web.json_response({"error": "not an Alertmanager webhook payload"}, status=400)
        self.notifications.append(notification)
        self._arrived.set()
        return web.json_response({"status": "ok"})

    def firing(self, alertname: str) -> list[Notification]:
        return [n for n in self.notifications if n.status == "firing" and alertname in n.alert_names()]

    async def _json(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _reject(self, what: str) -> web.Response:
        self.malformed += 1
        return web.json_response({"error": f"not a {what}"}, status=400)

    async def _deadman(self, request: web.Request) -> web.Response:
        if await self._json(request) is None:
            return self._reject("webhook payload")
        self.deadman_pings += 1
        return web.json_response({"status": "ok"})

    async def _pager(self, request: web.Request) -> web.Response:
        """PagerDuty Events API v2 stand-in: routing_key, event_action and, to trigger, a payload."""
        body = await self._json(request)
        if (
            body is None
            or not body.get("routing_key")
            or body.get("event_action") not in ("trigger", "acknowledge", "resolve")
            or (body["event_action"] == "trigger" and not isinstance(body.get("payload"), dict))
        ):
            return self._reject("PagerDuty Events API v2 event")
        self.pager_events.append(body)
        return web.json_response({"status": "success", "message": "Event processed"}, status=202)

    async def _chat(self, request: web.Request) -> web.Response:
        """Slack incoming-webhook stand-in: a message needs text or attachments."""
        body = await self._json(request)
        if body is None or not (body.get("text") or body.get("attachments")):
            return self._reject("Slack message")
        self.chat_messages.append(body)
        return web.Response(text="ok")

    def firing_except(self, *alertnames: str) -> list[Notification]:
        """Firing notifications naming any alert other than ``alertnames`` (e.g. the Watchdog)."""
        return [n for n in self.notifications if n.status == "firing" and n.alert_names() - set(alertnames)]

    async def wait_for(self, alertname: str, timeout_s: float) -> Notification | None:
        """The first firing notification naming ``alertname``, waiting up to ``timeout_s``."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            found = self.firing(alertname)
            if found:
                return found[0]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return None
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return None
