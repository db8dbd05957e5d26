"""Names of the alert rules whose runbooks dashboard panels link to (``runbooks/<AlertName>.md``).

Kept in one table so a renamed alert is one edit here; a test checks each name against alerts/rules.
"""

from __future__ import annotations

__all__ = ["Alert"]


class Alert:
    AVAILABILITY_BURN = "PaywatchAvailabilityBudgetBurn"
    LATENCY_BURN = "PaywatchLatencyBudgetBurn"
    LATENCY_P99 = "PaywatchLatencyP99High"
    CHANNEL_DOWN = "PaywatchChannelDown"
    REASON_SPIKE = "PaywatchFailureReasonSpike"
    PROBE_FAILING = "PaywatchProbeJourneyFailing"
    ISSUANCE_FAILING = "PaywatchVirtualCardIssuanceFailing"
    BINDING_FAILING = "PaywatchCreditLineBindingFailing"
    PROBE_STALE = "PaywatchProbeNoRecentSuccess"
    PROBE_RUNS_STALLED = "PaywatchProbeRunsStalled"
    OPEN_HOLDS = "PaywatchSyntheticHoldsOpen"
    VIEWS_DISAGREE = "PaywatchProductionSyntheticDisagree"
    TELEMETRY_DOWN = "PaywatchTelemetryDown"
    AUTHLOG_STALLED = "PaywatchAuthLogStalled"
