"""Steps ``balance_before`` and ``verify_balance``: POS balance inquiries around the purchase.

The first records the available amount (field 54); the second checks the reversal restored it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.iso_client import IsoAnswer, balance_message, parse_available
from probes.results import StepResult
from probes.steps.base import check_failed, from_iso, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["BalanceBefore", "VerifyBalance"]


async def _available(ctx: JourneyContext, name: str) -> tuple[int, IsoAnswer] | StepResult:
    """The available amount of the region's POS card (field 54), or the step's failure."""
    card = ctx.region.pos_card
    request = balance_message(ctx.terminal, card.pan.get_secret_value(), card.expiry.get_secret_value(), ctx.currency)
    answer = await ctx.iso.exchange(request)
    if not answer.ok or answer.message is None:
        return from_iso(name, answer)
    available = parse_available(answer.message.get("54"))
    if available is None:
        return check_failed(name, "balance answer without a usable field 54", answer.phases)
    return available, answer


class BalanceBefore:
    """Leaves ``pos_available_before`` in the context."""

    name = "balance_before"

    async def run(self, ctx: JourneyContext) -> StepResult:
        inquiry = await _available(ctx, self.name)
        if isinstance(inquiry, StepResult):
            return inquiry
        available, answer = inquiry
        ctx.values["pos_available_before"] = available
        return passed(self.name, answer.phases, response_code=answer.response_code)


class VerifyBalance:
    name = "verify_balance"

    async def run(self, ctx: JourneyContext) -> StepResult:
        before: int = ctx.require("pos_available_before")
        inquiry = await _available(ctx, self.name)
        if isinstance(inquiry, StepResult):
            return inquiry
        available, answer = inquiry
        # ">=": a reversal left pending by an earlier run may complete meanwhile and add to it.
        if available < before:
            return check_failed(self.name, f"available amount not restored: {before - available} minor units held")
        return passed(self.name, answer.phases, response_code=answer.response_code)
