"""A user journey for the tests: a module named in the configuration, built from its own steps."""

from __future__ import annotations

from pydantic import BaseModel

from paywatch.config import JourneySpec
from probes import JourneyContext, StepResult
from probes.steps import IssueCard, check_failed, from_http, passed


class _Health(BaseModel):
    status: str


class HealthCheck:
    name = "health"

    async def run(self, ctx: JourneyContext) -> StepResult:
        answer = await ctx.http.call("GET", "/healthz", _Health)
        if answer.body is None:
            return from_http(self.name, answer)
        if answer.body.status != ctx.journey.options.get("expect", "ok"):
            return check_failed(self.name, f"status {answer.body.status!r}")
        return passed(self.name, answer.phases)


def journey(spec: JourneySpec) -> list[object]:
    return [HealthCheck(), IssueCard()]


def not_steps() -> list[object]:
    return ["issue a card"]
