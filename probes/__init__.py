"""Synthetic journeys: scheduler, HTTP and ISO 8583 steps, the reversal guarantee.

``run_once`` runs every journey once per region; ``run_probes`` runs them until stopped.
"""

from probes.context import JourneyContext
from probes.journeys import BUILTIN, Journey, build_journey
from probes.results import AuthorizationRecord, JourneyOutcome, JourneyResult, ResultSink, StepResult
from probes.reversals import PendingReversal, Reverser
from probes.runner import JourneyRunner
from probes.scheduler import plan, run_once, run_probes
from probes.steps import Step

__all__ = [
    "BUILTIN",
    "AuthorizationRecord",
    "Journey",
    "JourneyContext",
    "JourneyOutcome",
    "JourneyResult",
    "JourneyRunner",
    "PendingReversal",
    "ResultSink",
    "Reverser",
    "Step",
    "StepResult",
    "build_journey",
    "plan",
    "run_once",
    "run_probes",
]
