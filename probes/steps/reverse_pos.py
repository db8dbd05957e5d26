"""Step ``reverse_pos``: the 0400 reversal (field 90) of this run's POS authorization."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.results import StepResult
from probes.steps.base import from_iso, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["ReversePos"]


class ReversePos:
    name = "reverse_pos"

    async def run(self, ctx: JourneyContext) -> StepResult:
        record_id: str = ctx.require("pos_authorization")
        answer = await ctx.reverser.reverse_pos(record_id, ctx.iso)
        if answer is None:
            return passed(self.name)
        return from_iso(self.name, answer)
