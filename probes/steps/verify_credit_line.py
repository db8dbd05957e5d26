"""Step ``verify_credit_line``: the credit line's available amount is back where it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.models import CreditLine
from probes.results import StepResult
from probes.steps.base import check_failed, from_http, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["VerifyCreditLine"]


class VerifyCreditLine:
    name = "verify_credit_line"

    async def run(self, ctx: JourneyContext) -> StepResult:
        line_id = ctx.region.online_credit_line_id
        answer = await ctx.http.call("GET", f"/v1/credit-lines/{line_id}", CreditLine)
        if answer.body is None:
            return from_http(self.name, answer)
        before = ctx.values.get("available_before_hold")
        # ">=": a reversal left pending by an earlier run may complete meanwhile and add to it.
        if before is not None and answer.body.available < before:
            missing = before - answer.body.available
            return check_failed(self.name, f"available amount not restored: {missing} minor units still held")
        return passed(self.name, answer.phases)
