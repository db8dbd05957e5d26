"""Step ``issue_card``: issue a virtual card on the region's synthetic online credit line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.models import IssuedCard
from probes.results import StepResult
from probes.steps.base import from_http, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["IssueCard"]


class IssueCard:
    """Leaves ``card`` (an ``IssuedCard``, the only value holding card data) in the context."""

    name = "issue_card"

    async def run(self, ctx: JourneyContext) -> StepResult:
        body = {"credit_line_id": ctx.region.online_credit_line_id}
        answer = await ctx.http.call("POST", "/v1/cards", IssuedCard, json=body)
        if answer.body is None:
            return from_http(self.name, answer)
        ctx.values["card"] = answer.body
        return passed(self.name, answer.phases)
