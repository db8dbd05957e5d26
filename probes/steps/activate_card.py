"""Step ``activate_card``: activate the card ``issue_card`` left in the context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.models import ActivatedCard, IssuedCard
from probes.results import StepResult
from probes.steps.base import expect_status

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["ActivateCard"]


class ActivateCard:
    name = "activate_card"

    async def run(self, ctx: JourneyContext) -> StepResult:
        card: IssuedCard = ctx.require("card")
        answer = await ctx.http.call("POST", f"/v1/cards/{card.card_id}/activate", ActivatedCard, json={})
        return expect_status(self.name, answer, "active", "after activation")
