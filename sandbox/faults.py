"""Injected faults: the admin API's model and the one registry that decides which fault applies.

A fault is validated once (unknown fields or values are refused, naming them); at run time
``FaultRegistry.pick(target, channel, region)`` is the single place that says what fires.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.web_json import echo

__all__ = [
    "LOST_ANSWER_EFFECTS",
    "ActiveFault",
    "Channel",
    "Effect",
    "FaultError",
    "FaultRegistry",
    "FaultSpec",
    "Target",
    "parse_fault",
]


class Target(StrEnum):
    CARD_API = "card_api"
    POS_HOST = "pos_host"
    CREDIT_LINE = "credit_line"
    ISSUER = "issuer"
    RISK = "risk"


class Effect(StrEnum):
    LATENCY = "latency"
    DECLINE = "decline"
    ERROR = "error"
    TIMEOUT = "timeout"
    RESET = "reset"
    MALFORMED = "malformed"


class Channel(StrEnum):
    ONLINE = "online"
    POS = "pos"


LOST_ANSWER_EFFECTS = frozenset({Effect.TIMEOUT, Effect.RESET, Effect.MALFORMED})
"""Effects that act after the operation: the work is done, its answer is lost at the front."""


DEFAULT_LATENCY_MS = 1000
DEFAULT_DECLINE_CODE = "05"


class FaultError(ValueError):
    """A fault the admin API refuses; the message names the offending fields."""


class FaultSpec(BaseModel):
    """The body of ``POST /admin/faults`` (DESIGN.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: Target
    effect: Effect
    probability: Annotated[float, Field(ge=0, le=1, strict=True)] = 1.0
    channel: Channel | None = None
    region: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")] | None = None
    latency_ms: Annotated[int, Field(ge=0, le=600_000, strict=True)] | None = None
    response_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{2}$")] | None = None
    duration_s: Annotated[float, Field(gt=0, le=86_400, strict=True)] | None = None

    @property
    def latency_s(self) -> float:
        return (self.latency_ms if self.latency_ms is not None else DEFAULT_LATENCY_MS) / 1000.0

    @property
    def code(self) -> str:
        """The ISO 8583 code a ``decline`` answers with."""
        return self.response_code or DEFAULT_DECLINE_CODE


def parse_fault(body: object, known_regions: Iterable[str]) -> FaultSpec:
    """Validate an admin request body; ``FaultError`` names each unknown field or bad value."""
    if not isinstance(body, dict):
        raise FaultError("body: expected a JSON object")
    try:
        spec = FaultSpec.model_validate(body)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = echo(".".join(str(part) for part in error["loc"])) or "body"
            if error["type"] == "extra_forbidden":
                problems.append(f"{where}: unknown field")
            else:
                problems.append(f"{where}: {error['msg']}")
        raise FaultError("; ".join(problems)) from None
    regions = set(known_regions)
    if spec.region is not None and spec.region not in regions:
        raise FaultError(f"region: unknown region {spec.region!r} (known: {', '.join(sorted(regions))})")
    return spec


@dataclass(frozen=True, slots=True)
class ActiveFault:
    id: str
    spec: FaultSpec
    created_at: float
    """``time.monotonic()`` at creation."""

    @property
    def expires_at(self) -> float | None:
        return None if self.spec.duration_s is None else self.created_at + self.spec.duration_s

    def expired(self, now: float) -> bool:
        expires = self.expires_at
        return expires is not None and now >= expires

    def matches(self, target: Target, channel: Channel, region: str | None) -> bool:
        spec = self.spec
        if spec.target is not target:
            return False
        if spec.channel is not None and spec.channel is not channel:
            return False
        return spec.region is None or spec.region == region

    def as_dict(self, now: float) -> dict[str, object]:
        body: dict[str, object] = {"id": self.id, **self.spec.model_dump(mode="json", exclude_none=True)}
        expires = self.expires_at
        if expires is not None:
            body["expires_in_s"] = round(max(0.0, expires - now), 3)
        return body


class FaultRegistry:
    """Active faults in creation order; the first matching fault whose probability roll fires applies."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._faults: dict[str, ActiveFault] = {}
        self._serial = 0

    def add(self, spec: FaultSpec) -> ActiveFault:
        self._serial += 1
        fault = ActiveFault(id=f"F{self._serial:06d}", spec=spec, created_at=time.monotonic())
        self._faults[fault.id] = fault
        return fault

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> int:
        count = len(self._faults)
        self._faults.clear()
        return count

    def active(self) -> list[ActiveFault]:
        self._expire(time.monotonic())
        return list(self._faults.values())

    def _expire(self, now: float) -> None:
        for fault_id in [f.id for f in self._faults.values() if f.expired(now)]:
            del self._faults[fault_id]

    def pick(self, target: Target, channel: Channel, region: str | None) -> ActiveFault | None:
        """The fault that applies to one call of ``target``, or None."""
        if not self._faults:
            return None
        now = time.monotonic()
        self._expire(now)
        for fault in self._faults.values():
            if not fault.matches(target, channel, region):
                continue
            probability = fault.spec.probability
            if probability >= 1.0 or (probability > 0.0 and self._rng.random() < probability):
                return fault
        return None
