"""A stand-in for Grafana's HTTP API (folders and dashboard save), for testing ``paywatch dashboards push``.

Grafana itself cannot run here. This server checks each request the way Grafana's API would (Bearer token,
the POST /api/dashboards/db body shape, folder lookup and creation) and answers in Grafana's shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["GrafanaApiStandIn", "RecordedRequest"]

_JSON_BODY = web.RequestKey("json_body", object)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class _Folder:
    id: int
    uid: str
    title: str


@dataclass
class _Saved:
    dashboard: dict[str, Any]
    folder_uid: str
    version: int
    messages: list[str] = field(default_factory=list)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class GrafanaApiStandIn:
    """``async with GrafanaApiStandIn(token) as grafana``: ``grafana.url`` on 127.0.0.1, a free port."""

    def __init__(self, token: str, *, folders: dict[str, str] | None = None) -> None:
        self.token = token
        self.folders: dict[str, _Folder] = {}
        for index, (uid, title) in enumerate((folders or {}).items(), start=1):
            self.folders[uid] = _Folder(index, uid, title)
        self.dashboards: dict[str, _Saved] = {}
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []
        """Requests Grafana would refuse, with the reason (each also answered with Grafana's error)."""
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> GrafanaApiStandIn:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/api/folders", self._list_folders)
        app.router.add_post("/api/folders", self._create_folder)
        app.router.add_post("/api/dashboards/db", self._save_dashboard)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _refuse(self, status: int, message: str) -> web.Response:
        self.problems.append(message)
        return web.json_response({"message": message}, status=status)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not JSON>"
        self.requests.append(RecordedRequest(request.method, request.path, request.headers.get("Authorization"), body))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._refuse(401, "Unauthorized")
        if body == "<not JSON>":
            return self._refuse(400, "bad request data")
        request[_JSON_BODY] = body
        response: web.StreamResponse = await handler(request)
        return response

    async def _list_folders(self, request: web.Request) -> web.Response:
        return web.json_response([{"id": f.id, "uid": f.uid, "title": f.title} for f in self.folders.values()])

    async def _create_folder(self, request: web.Request) -> web.Response:
        body: Any = request[_JSON_BODY]
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"]:
            return self._refuse(400, "folder title cannot be empty")
        uid = body.get("uid") or f"f{len(self.folders) + 1:08d}"
        if uid in self.folders:
            return self._refuse(409, "a folder with the same uid already exists")
        if any(f.title == body["title"] for f in self.folders.values()):
            return self._refuse(409, "a folder with the same name already exists")
        folder = _Folder(len(self.folders) + 1, uid, body["title"])
        self.folders[uid] = folder
        return web.json_response({"id": folder.id, "uid": uid, "title": folder.title, "url": f"/dashboards/f/{uid}/"})

    async def _save_dashboard(self, request: web.Request) -> web.Response:
        body: Any = request[_JSON_BODY]
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            return self._refuse(400, "body must be an object with a 'dashboard' object")
        unknown = set(body) - {"dashboard", "folderUid", "folderId", "overwrite", "message"}
        if unknown:
            return self._refuse(400, f"unknown fields {sorted(unknown)}")
        dashboard = body["dashboard"]
        uid, title = dashboard.get("uid"), dashboard.get("title")
        if not isinstance(uid, str) or not uid or len(uid) > 40:
            return self._refuse(400, "dashboard.uid must be a string of 1-40 characters")
        if not isinstance(title, str) or not title.strip():
            return self._refuse(400, "Dashboard title cannot be empty")
        if not isinstance(body.get("overwrite", False), bool) or not isinstance(body.get("message", ""), str):
            return self._refuse(400, "overwrite must be a boolean and message a string")
        folder_uid = body.get("folderUid", "")
        if folder_uid and folder_uid not in self.folders:
            return self._refuse(400, "folder not found")
        existing = self.dashboards.get(uid)
        if dashboard.get("id") is not None and (existing is None or not body.get("overwrite")):
            return self._refuse(404, "Dashboard not found")
        if existing is not None and not body.get("overwrite"):
            return self._refuse(412, "The dashboard has been changed by someone else")
        version = existing.version + 1 if existing else 1
        saved = _Saved(
            dashboard, folder_uid, version, [*(existing.messages if existing else []), body.get("message", "")]
        )
        self.dashboards[uid] = saved
        return web.json_response(
            {
                "id": list(self.dashboards).index(uid) + 1,
                "uid": uid,
                "url": f"/d/{uid}/{_slug(title)}",
                "status": "success",
                "version": version,
                "slug": _slug(title),
            }
        )
