"""Step ``reverse_online``: reverse the online authorization of this run, over its connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.results import StepResult
from probes.steps.base import check_failed, from_http, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["ReverseOnline"]


class ReverseOnline:
    name = "reverse_online"

    async def run(self, ctx: JourneyContext) -> StepResult:
        record_id: str = ctx.require("online_authorization")
        answer = await ctx.reverser.reverse_online(record_id, ctx.http)
        if answer is None:
            return passed(self.name)
        if answer.body is None:
            return from_http(self.name, answer)
        if answer.body.status != "reversed":
            return check_failed(self.name, f"authorization status is {answer.body.status!r} after reversal")
        return passed(self.name, answer.phases)
