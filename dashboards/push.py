"""Push the dashboards to a Grafana over its HTTP API (grafana-client, token auth), overwriting by uid.

grafana-client's exceptions become ``PushError`` here; no message ever contains the token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaException

__all__ = ["PushError", "PushResult", "folder_uid", "push_dashboards", "read_token"]


class PushError(Exception):
    """Grafana refused or could not be reached; the message names the step, never the token."""


@dataclass(frozen=True, slots=True)
class PushResult:
    uid: str
    url: str
    version: int
    folder_uid: str


def read_token(path: Path) -> str:
    """The API token (service account token) from ``path``: one line, surrounding whitespace ignored."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PushError(f"{path}: cannot read token file: {exc.strerror}") from None
    if not token or any(c.isspace() for c in token):
        raise PushError(f"{path}: expected one token on one line")
    return token


def folder_uid(name: str) -> str:
    """A stable folder uid derived from its name, so pushes from different machines land in one folder."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40] or "paywatch"


def _ensure_folder(api: GrafanaApi, name: str) -> str:
    folders: list[dict[str, Any]] = api.folder.get_all_folders()
    for folder in folders:
        if folder.get("title") == name:
            return str(folder["uid"])
    created: dict[str, Any] = api.folder.create_folder(name, uid=folder_uid(name))
    return str(created["uid"])


def push_dashboards(
    url: str, token: str, dashboards: Iterable[dict[str, Any]], *, folder: str = "paywatch", message: str
) -> list[PushResult]:
    """Ensure ``folder`` exists, then save each dashboard in it with ``overwrite`` and a version ``message``."""
    api = GrafanaApi.from_url(url, credential=token, timeout=10.0)
    step = f"looking up or creating folder {folder!r}"
    try:
        uid = _ensure_folder(api, folder)
        results = []
        for dashboard in dashboards:
            step = f"saving dashboard {dashboard['uid']!r}"
            # Grafana matches by uid when overwriting; a numeric id from another instance must not travel along
            body = {"dashboard": {**dashboard, "id": None}, "folderUid": uid, "overwrite": True, "message": message}
            answer: dict[str, Any] = api.dashboard.update_dashboard(body)
            results.append(PushResult(str(answer["uid"]), str(answer.get("url", "")), int(answer["version"]), uid))
    except GrafanaException as exc:
        raise PushError(f"{url}: {step}: {exc.message}".replace(token, "***")) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise PushError(f"{url}: {step}: unexpected answer ({type(exc).__name__}: {exc})") from None
    return results
