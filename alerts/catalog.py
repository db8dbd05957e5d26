"""The alerts that are not SLO burn rates: journeys, channels, issuance, binding, reasons, latency and the
two views disagreeing, plus the convenience recording rules they and dashboards read (health in alerts.health)."""

from __future__ import annotations

from typing import Any

from alerts.building import AUTHLOG_JOB, PROBE_JOB, Rule, Scale, alert, ran_a_whole_window, record
from alerts.health import health_rules, synthetic_holds
from alerts.spec import AlertSpec

__all__ = ["catalog_groups"]


def _per_source(family: str, window: str, spec: AlertSpec) -> str:
    """``rate(family[window])`` with each source read from its own scrape job: synthetic authorizations are
    in the authorization log too, and counting both views would halve the failures only probes see."""
    return " or ".join(
        f'rate({family}{{source="{source}",job="{job}"}}[{window}])' for source, job in sorted(spec.source_jobs.items())
    )


def _recording(spec: AlertSpec, scale: Scale) -> list[Rule]:
    w = scale(300)
    buckets = _per_source("paywatch_authorization_duration_seconds_bucket", w, spec)
    return [
        record(
            "paywatch:authorizations:rate5m",
            "sum by (source, channel, outcome, reason) (\n  "
            + _per_source("paywatch_authorizations_total", w, spec).replace(" or ", "\n  or\n  ")
            + "\n)",
        ),
        record(
            "paywatch:authorization_duration_seconds:p99_5m",
            f"histogram_quantile(0.99, sum by (source, channel, le) ({buckets}))",
        ),
        record(
            "paywatch:authorization_duration_seconds:p50_5m",
            f"histogram_quantile(0.5, sum by (source, channel, le) ({buckets}))",
        ),
        record(
            "paywatch:probe_success:ratio_rate5m",
            f"""
(
  sum by (journey, region) (rate(paywatch_probe_runs_total{{outcome="success"}}[{w}]))
  or
  0 * sum by (journey, region) (rate(paywatch_probe_runs_total[{w}]))
)
/
sum by (journey, region) (rate(paywatch_probe_runs_total[{w}]))
""",
        ),
    ]


def _journeys(spec: AlertSpec, scale: Scale) -> list[Rule]:
    t = spec.thresholds.journey
    rules: list[Rule] = []
    for journey, channel in spec.journeys.items():
        failing = (
            f'(1 - paywatch:probe_success:ratio_rate5m{{journey="{journey}"}}) >= {t.failure_ratio:g}\n'
            f"  and on (journey, region) {ran_a_whole_window(scale, journey)}"
        )
        labels = {"journey": journey, "channel": channel, "exporter": PROBE_JOB}
        rules.append(
            alert(
                "PaywatchProbeJourneyFailing",
                f"count by (journey) (\n  {failing}\n) >= {t.page_min_regions}",
                for_=scale(t.for_),
                labels={"severity": "page", **labels},
                summary=f"Synthetic {journey} failing in {{{{ $value }}}} regions",
                description=(
                    f"At least {t.failure_ratio:.0%} of the {journey} probe runs failed over the last {scale(300)} "
                    f"in {{{{ $value }}}} regions at once: {channel} customers fail in several regions, so a central "
                    "system is broken, not one store network."
                ),
                dashboard="probes",
            )
        )
        rules.append(
            alert(
                "PaywatchProbeJourneyFailing",
                f"{failing}\nand on (journey)\ncount by (journey) (\n  {failing}\n) < {t.page_min_regions}",
                for_=scale(t.ticket_for),
                labels={"severity": "ticket", **labels},
                summary=f"Synthetic {journey} failing in region {{{{ $labels.region }}}} only",
                description=(
                    f"{{{{ $value | humanizePercentage }}}} of the {journey} probe runs in {{{{ $labels.region }}}} "
                    f"failed over the last {scale(300)}; the other regions pass. Look for a regional network, "
                    "store or terminal problem."
                ),
                dashboard="probes",
            )
        )
    return rules


def _channel_down(spec: AlertSpec, scale: Scale) -> Rule:
    t = spec.thresholds.channel_down
    by = "sum by (source, channel)"
    expr = f"""
max by (channel) (
  (
    {by} (paywatch:authorizations:rate5m{{outcome="failed"}})
    /
    {by} (paywatch:authorizations:rate5m)
  ) >= {t.failure_ratio:g}
  and on (source, channel)
  {by} (paywatch:authorizations:rate5m) >= {scale.rate(t.min_event_rate)}
)
"""
    return alert(
        "PaywatchChannelDown",
        expr,
        for_=scale(t.for_),
        labels={"severity": "page"},
        summary="The {{ $labels.channel }} payment channel is down",
        description=(
            "{{ $value | humanizePercentage }} of {{ $labels.channel }} authorizations fail technically over the last "
            f"{scale(300)} (worst of production and synthetic traffic). Customers cannot pay on this channel."
        ),
        dashboard="channels",
    )


def _step_failures(spec: AlertSpec, scale: Scale) -> list[Rule]:
    w = scale(300)
    out: list[Rule] = []
    for name, t, what, complaint in (
        (
            "PaywatchVirtualCardIssuanceFailing",
            spec.thresholds.issuance,
            "issuing or activating a virtual card",
            "a freshly issued virtual card that cannot be used",
        ),
        (
            "PaywatchCreditLineBindingFailing",
            spec.thresholds.binding,
            "the credit line's funding check for a card",
            "a virtual card that cannot be paid with the credit line",
        ),
    ):
        expr = f"""
sum(rate(paywatch_probe_failures_total{{journey=~"{t.journeys}",step=~"{t.steps}"}}[{w}]))
/
sum(rate(paywatch_probe_runs_total{{journey=~"{t.journeys}"}}[{w}]))
>= {t.failure_ratio:g}
and on ()
count({ran_a_whole_window(scale, t.journeys)})
"""
        out.append(
            alert(
                name,
                expr,
                for_=scale(t.for_),
                labels={"severity": "page", "channel": "online", "exporter": PROBE_JOB},
                summary=f"Synthetic probes fail at {what}",
                description=(
                    f"{{{{ $value | humanizePercentage }}}} of the probe runs failed at {what} over the last {w} "
                    f"(steps {t.steps}). Customers see {complaint}."
                ),
                dashboard="probes",
            )
        )
    return out


def _reason_spike(spec: AlertSpec, scale: Scale) -> Rule:
    t = spec.thresholds.reason_spike
    every = 'sum by (source, channel) (paywatch:authorizations:rate5m{source="production"})'
    expr = f"""
sum by (source, channel, reason) (paywatch:authorizations:rate5m{{source="production",outcome="failed"}})
/ on (source, channel) group_left
{every}
>= {t.share:g}
and on (source, channel)
{every} >= {scale.rate(t.min_event_rate)}
"""
    return alert(
        "PaywatchFailureReasonSpike",
        expr,
        for_=scale(t.for_),
        labels={"severity": "ticket", "exporter": AUTHLOG_JOB},
        summary="{{ $labels.reason }} on {{ $value | humanizePercentage }} of production {{ $labels.channel }} traffic",
        description=(
            "One technical reason, {{ $labels.reason }}, accounts for {{ $value | humanizePercentage }} of production "
            f"{{{{ $labels.channel }}}} authorizations over the last {scale(300)}. The reason names the failing "
            "component: issuer_unavailable the issuer, interface_error the card/credit interface, timeout the network."
        ),
        dashboard="channels",
    )


def _p99(spec: AlertSpec, scale: Scale) -> list[Rule]:
    t = spec.thresholds.p99_latency
    out: list[Rule] = []
    for source, limit, job in (
        ("production", t.production_seconds, AUTHLOG_JOB),
        ("synthetic", t.synthetic_seconds, PROBE_JOB),
    ):
        out.append(
            alert(
                "PaywatchLatencyP99High",
                f'paywatch:authorization_duration_seconds:p99_5m{{source="{source}"}} > {limit:g}',
                for_=scale(t.for_),
                labels={"severity": "ticket", "exporter": job},
                summary=f"{source.capitalize()} {{{{ $labels.channel }}}} p99 authorization latency above {limit:g} s",
                description=(
                    f"The slowest 1% of {source} {{{{ $labels.channel }}}} authorizations take over "
                    f"{{{{ $value | humanizeDuration }}}} (limit {limit:g} s) over the last {scale(300)}. Terminals "
                    "and card schemes time out at 20-30 s: a slow tail turns into failures and stuck holds."
                ),
                dashboard="channels",
            )
        )
    return out


def _disagreement(spec: AlertSpec, scale: Scale) -> Rule:
    t = spec.thresholds.disagreement
    sli = 'slo:sli_error:ratio_rate30m{slo="availability",source="%s"}'
    expr = f"""
abs(
  max without (source) ({sli % "production"})
  -
  max without (source) ({sli % "synthetic"})
) >= {t.gap:g}
"""
    return alert(
        "PaywatchProductionSyntheticDisagree",
        expr,
        for_=scale(t.for_),
        labels={"severity": "ticket"},
        summary="Production and synthetic {{ $labels.channel }} availability disagree",
        description=(
            "Over the last "
            f"{scale(1800)} the technical failure ratios of production and synthetic {{{{ $labels.channel }}}} "
            "traffic differ by {{ $value | humanizePercentage }}. Either the probes miss what customers hit "
            "(a BIN, merchant or terminal type they do not cover) or the probes themselves are broken."
        ),
        dashboard="prod_vs_synthetic",
    )


def catalog_groups(spec: AlertSpec, scale: Scale) -> list[dict[str, Any]]:
    return [
        {"name": "paywatch-recording", "rules": _recording(spec, scale)},
        {
            "name": "paywatch-alerts",
            "rules": [
                *_journeys(spec, scale),
                _channel_down(spec, scale),
                *_step_failures(spec, scale),
                _reason_spike(spec, scale),
                *_p99(spec, scale),
                _disagreement(spec, scale),
                synthetic_holds(spec, scale),
            ],
        },
        {"name": "paywatch-telemetry", "rules": health_rules(spec, scale)},
    ]
