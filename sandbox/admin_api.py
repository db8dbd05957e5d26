"""The fault-injection admin API of DESIGN.md: ``/admin/faults`` and ``/admin/ledger``.

No API key: the sandbox listens on loopback only, and drills and tests drive it directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from aiohttp import web

from sandbox.faults import FaultError, FaultRegistry, parse_fault
from sandbox.ledger import Ledger
from sandbox.web_json import echo, error, read_json

__all__ = ["add_admin_routes"]


def add_admin_routes(app: web.Application, faults: FaultRegistry, ledger: Ledger, known_regions: Iterable[str]) -> None:
    regions = frozenset(known_regions)

    async def create(request: web.Request) -> web.Response:
        try:
            spec = parse_fault(await read_json(request), regions)
        except FaultError as exc:
            return error(400, "invalid_fault", str(exc))
        fault = faults.add(spec)
        return web.json_response(fault.as_dict(time.monotonic()), status=201)

    async def list_faults(_: web.Request) -> web.Response:
        now = time.monotonic()
        return web.json_response({"faults": [f.as_dict(now) for f in faults.active()]})

    async def delete_one(request: web.Request) -> web.Response:
        fault_id = request.match_info["fault_id"]
        if not faults.remove(fault_id):
            return error(404, "fault_not_found", f"no fault {echo(fault_id)}")
        return web.json_response({"id": fault_id, "deleted": True})

    async def delete_all(_: web.Request) -> web.Response:
        return web.json_response({"deleted": faults.clear()})

    async def ledger_summary(_: web.Request) -> web.Response:
        return web.json_response(ledger.summary())

    app.router.add_post("/admin/faults", create)
    app.router.add_get("/admin/faults", list_faults)
    app.router.add_delete("/admin/faults", delete_all)
    app.router.add_delete("/admin/faults/{fault_id}", delete_one)
    app.router.add_get("/admin/ledger", ledger_summary)
