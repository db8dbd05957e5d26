"""Every built-in journey succeeds in every region of the default configuration; a failed check is
``check_failed``."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from paywatch.config import BUILTIN_JOURNEYS, CardApiTarget, PaywatchConfig
from paywatch.taxonomy import Reason
from probes import JourneyOutcome, run_once
from tests.probes.conftest import Admin


async def test_every_journey_succeeds_in_every_region(config: PaywatchConfig, admin: Admin) -> None:
    results = await run_once(config)
    seen = {(r.journey, r.region): r for r in results}
    assert set(seen) == {(j, r.name) for j in BUILTIN_JOURNEYS for r in config.regions}
    failures = {
        k: (r.reason.value, r.failed_step.step if r.failed_step else None)
        for k, r in seen.items()
        if r.outcome is not JourneyOutcome.SUCCESS
    }
    assert failures == {}
    assert all(r.trace_id is None or len(r.trace_id) == 32 for r in results)
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0


CHECKS = [
    # id, the funding answer (the card API answers, but the card cannot be paid with)
    ("card-not-bound", {"bound": False, "can_fund": True, "credit_line_id": "CL-SYN-NORTH-ONLINE"}),
    ("line-cannot-fund", {"bound": True, "can_fund": False, "credit_line_id": "CL-SYN-NORTH-ONLINE"}),
    ("bound-to-another-line", {"bound": True, "can_fund": True, "credit_line_id": "CL-OTHER"}),
]


@pytest.mark.parametrize("funding", [c[1] for c in CHECKS], ids=[c[0] for c in CHECKS])
async def test_a_system_that_answers_but_fails_the_check_is_check_failed(
    config: PaywatchConfig, funding: dict[str, Any]
) -> None:
    async def issue(request: web.Request) -> web.Response:
        card = {"card_id": "C1", "pan": "6229990000000001", "expiry": "3012", "cvv": "123", "status": "inactive"}
        return web.json_response({**card, "credit_line_id": "CL-SYN-NORTH-ONLINE", "pan_masked": "622999******0001"})

    async def fund(request: web.Request) -> web.Response:
        return web.json_response({"card_id": "C1", "available": 5, **funding})

    app = web.Application()
    app.router.add_post("/v1/cards", issue)
    app.router.add_get("/v1/cards/C1/funding", fund)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        card_api = CardApiTarget(base_url=f"http://127.0.0.1:{port}")
        config = config.model_copy(update={"targets": config.targets.model_copy(update={"card_api": card_api})})
        [result] = await run_once(config, regions=["north"], journeys=["credit_line_binding"])
    finally:
        await runner.cleanup()
    assert (result.failed_step.step if result.failed_step else None, result.reason) == (
        "check_funding",
        Reason.CHECK_FAILED,
    )
