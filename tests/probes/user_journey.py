"""A user journey for the tests: a module named in the configuration, built from its own steps."""

from __future__ import annotations

from pydantic import BaseModel

from paywatch.config import JourneySpec
from probes import JourneyContext, StepResult
from probes.iso_client import echo_message
from probes.steps import AuthorizePos, IssueCard, check_failed, from_http, from_iso, passed


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


class SlowEcho:
    """An echo that counts how many runs are inside it at once (the POS host is slowed by a fault)."""

    name = "slow_echo"
    active = 0
    most = 0
    runs = 0

    async def run(self, ctx: JourneyContext) -> StepResult:
        cls = type(self)
        cls.active += 1
        cls.runs += 1
        cls.most = max(cls.most, cls.active)
        try:
            return from_iso(self.name, await ctx.iso.exchange(echo_message(ctx.terminal)))
        finally:
            cls.active -= 1


def slow_journey() -> list[object]:
    return [SlowEcho()]


class Broken:
    """A user step with a bug: it raises instead of returning a result."""

    name = "broken"

    async def run(self, ctx: JourneyContext) -> StepResult:
        raise KeyError("a value no step provides")


def authorize_then_break() -> list[object]:
    return [AuthorizePos(), Broken()]
