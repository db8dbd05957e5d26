"""What a journey's steps share during one run: configuration, clients, the reverser and values.

Steps read and write ``values`` (card id, authorization record ids, balances) instead of
talking to each other; the scheduler builds one context per run and closes its clients after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paywatch.config import JourneySpec, PaywatchConfig, Region, Terminal
from probes.http_client import CardApiClient
from probes.iso_client import PosTerminalClient
from probes.reversals import Reverser

__all__ = ["JourneyContext"]


@dataclass
class JourneyContext:
    config: PaywatchConfig
    journey: JourneySpec
    region: Region
    http: CardApiClient
    iso: PosTerminalClient
    reverser: Reverser
    values: dict[str, Any] = field(default_factory=dict)
    tracked: list[str] = field(default_factory=list)
    """Reversal records this run tracked; released to the retry loop when the run ends."""

    @property
    def terminal(self) -> Terminal:
        """The region's terminal this run uses (``options.terminal`` picks one by id)."""
        wanted = self.journey.options.get("terminal")
        for terminal in self.region.terminals:
            if terminal.id == wanted:
                return terminal
        return self.region.terminals[0]

    @property
    def amount(self) -> int:
        return int(self.journey.options.get("amount_minor", self.config.probe.amount_minor))

    @property
    def currency(self) -> str:
        return self.config.probe.currency

    def require(self, key: str) -> Any:
        """A value an earlier step must have left; a missing one is a journey definition bug."""
        if key not in self.values:
            raise LookupError(f"step needs {key!r}, which no earlier step of {self.journey.name!r} provides")
        return self.values[key]
