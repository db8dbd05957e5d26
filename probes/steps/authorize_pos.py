"""Step ``authorize_pos``: an 0100 purchase at a terminal of the region, tracked for reversal.

Tracked before it is sent; any answer that decodes and declines resolves it (nothing held),
a lost or garbled answer leaves it to be reversed by field 90.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from probes.iso_client import authorization_message
from probes.results import StepResult
from probes.steps.base import authorization_record, from_iso

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["AuthorizePos"]


class AuthorizePos:
    """Leaves ``pos_authorization`` (a reversal record id) in the context."""

    name = "authorize_pos"
    authorizes = "pos"

    async def run(self, ctx: JourneyContext) -> StepResult:
        card = ctx.region.pos_card
        request = authorization_message(
            ctx.terminal, card.pan.get_secret_value(), card.expiry.get_secret_value(), ctx.amount, ctx.currency
        )
        record_id = ctx.reverser.track_pos(ctx.journey.name, ctx.region.name, request, ctx.journey.timeout_s)
        ctx.tracked.append(record_id)
        ctx.values["pos_authorization"] = record_id
        started = time.perf_counter()
        answer = await ctx.iso.exchange(request)
        elapsed = time.perf_counter() - started
        ctx.reverser.heard_back(record_id)
        if answer.answered and not answer.ok:
            ctx.reverser.resolve(record_id)
        record = authorization_record("pos", answer.reason, elapsed, answer.response_code)
        return replace(from_iso(self.name, answer), authorization=record)
