"""Step ``echo``: an 0800 network-management echo; proves the POS host answers at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from probes.iso_client import echo_message
from probes.results import StepResult
from probes.steps.base import from_iso

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["Echo"]


class Echo:
    name = "echo"

    async def run(self, ctx: JourneyContext) -> StepResult:
        return from_iso(self.name, await ctx.iso.exchange(echo_message(ctx.terminal)))
