"""Step ``check_funding``: prove the credit line is bound to the card and can fund it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.models import Funding, IssuedCard
from probes.results import StepResult
from probes.steps.base import check_failed, from_http, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["CheckFunding"]


class CheckFunding:
    name = "check_funding"

    async def run(self, ctx: JourneyContext) -> StepResult:
        card: IssuedCard = ctx.require("card")
        answer = await ctx.http.call("GET", f"/v1/cards/{card.card_id}/funding", Funding)
        funding = answer.body
        if funding is None:
            return from_http(self.name, answer)
        if not funding.bound:
            return check_failed(self.name, "card is not bound to its credit line", answer.phases)
        if not funding.can_fund:
            return check_failed(self.name, f"credit line cannot fund the card (available {funding.available})")
        if funding.credit_line_id != ctx.region.online_credit_line_id:
            return check_failed(self.name, "card is bound to another credit line than the one it was issued on")
        return passed(self.name, answer.phases)
