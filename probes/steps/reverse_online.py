"""Step ``reverse_online``: reverse the online authorization of this run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.results import StepResult
from probes.steps.base import expect_status, passed

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
        return expect_status(self.name, answer, "reversed", "after reversal")
