"""The built-in journeys and the loader for user journeys named in the configuration.

A journey is an ordered list of steps; ``JourneySpec.module`` (``package.module:factory``)
names a factory ``factory(spec: JourneySpec) -> Sequence[Step]`` (or one taking no argument).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from paywatch.config import ConfigError, JourneySpec, PaywatchConfig, Region
from probes.steps import (
    ActivateCard,
    AuthorizeOnline,
    AuthorizePos,
    BalanceBefore,
    CheckFunding,
    CloseCard,
    Echo,
    IssueCard,
    ReverseOnline,
    ReversePos,
    Step,
    VerifyBalance,
    VerifyCreditLine,
)

__all__ = ["BUILTIN", "Journey", "build_journey", "journey_regions"]

Journey = Sequence[Step]


def virtual_card_online() -> Journey:
    return [IssueCard(), ActivateCard(), AuthorizeOnline(), ReverseOnline(), VerifyCreditLine(), CloseCard()]


def pos_purchase() -> Journey:
    return [Echo(), BalanceBefore(), AuthorizePos(), ReversePos(), VerifyBalance()]


def credit_line_binding() -> Journey:
    return [IssueCard(), CheckFunding(), CloseCard()]


BUILTIN: dict[str, Callable[[], Journey]] = {
    "virtual_card_online": virtual_card_online,
    "pos_purchase": pos_purchase,
    "credit_line_binding": credit_line_binding,
}


def build_journey(spec: JourneySpec) -> Journey:
    """The steps of ``spec``; a user module that cannot be loaded raises ``ConfigError`` at start."""
    if spec.module is None:
        return BUILTIN[spec.name]()
    module_name, _, attribute = spec.module.partition(":")
    try:
        factory: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"journeys.{spec.name}.module: cannot load {spec.module!r}: {exc}") from None
    takes_spec = bool(inspect.signature(factory).parameters)
    steps = list(factory(spec) if takes_spec else factory())
    bad = [type(s).__name__ for s in steps if not isinstance(s, Step)]
    if not steps or bad:
        raise ConfigError(
            f"journeys.{spec.name}.module: {spec.module!r} must return a non-empty list of steps"
            + (f" (not steps: {', '.join(bad)})" if bad else "")
        )
    return steps


def journey_regions(config: PaywatchConfig, spec: JourneySpec, only: Sequence[str] = ()) -> list[Region]:
    """The regions ``spec`` runs in: its own list (or all), narrowed to ``only`` when given."""
    regions = [r for r in config.regions if spec.regions is None or r.name in spec.regions]
    return [r for r in regions if not only or r.name in only]
