"""Step ``close_card``: close the virtual card this run issued, so synthetic cards do not pile up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.models import ClosedCard, IssuedCard
from probes.results import StepResult
from probes.steps.base import expect_status

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["CloseCard"]


class CloseCard:
    name = "close_card"

    async def run(self, ctx: JourneyContext) -> StepResult:
        card: IssuedCard = ctx.require("card")
        answer = await ctx.http.call("DELETE", f"/v1/cards/{card.card_id}", ClosedCard)
        return expect_status(self.name, answer, "closed", "after closing")
