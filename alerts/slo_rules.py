"""SLO recording rules and multi-window, multi-burn-rate alerts, generated from the spec's SLO table.

Names follow the shared contract: ``slo:sli_error:ratio_rate<window>`` and friends, labels slo/source/channel.
"""

from __future__ import annotations

from typing import Any

from alerts.building import Rule, Scale, alert, record
from alerts.spec import AlertSpec, BurnWindow, Slo

__all__ = ["BURN_ALERTS", "slo_groups"]

BURN_ALERTS = {"availability": "PaywatchAvailabilityBudgetBurn", "latency": "PaywatchLatencyBudgetBurn"}

_ON = "on (slo, source, channel)"
_BY = "sum by (source, channel)"
_FAILED = ',outcome="failed"'


def _selector(slo: Slo, job: str, extra: str = "") -> str:
    # One view per source: synthetic authorizations also appear in the authorization log, and counting
    # them twice would hide failures only the probe saw (an answer lost after an approval).
    channels = "|".join(slo.channels)
    return f'{{job="{job}",source="{slo.source}",channel=~"{channels}"{extra}}}'


def _le(threshold: float) -> str:
    # prometheus_client writes 1.0 as "1.0", other writers as "1": accept both spellings.
    text = f"{threshold:g}"
    return f',le=~"{text}|{threshold:.1f}"' if float(text).is_integer() else f',le="{text}"'


def _sli_error(slo: Slo, job: str, window: str) -> str:
    if slo.slo == "availability":
        every = f"rate(paywatch_authorizations_total{_selector(slo, job)}[{window}])"
        failed = f"rate(paywatch_authorizations_total{_selector(slo, job, _FAILED)}[{window}])"
        # Without the `or` a channel with no failure yet has no failed series and no ratio at all.
        return f"(\n  {_BY} ({failed})\n  or\n  0 * {_BY} ({every})\n)\n/\n{_BY} ({every})\n"
    assert slo.threshold_seconds is not None
    within = _selector(slo, job, _le(slo.threshold_seconds))
    fast = f"rate(paywatch_authorization_duration_seconds_bucket{within}[{window}])"
    every = f"rate(paywatch_authorization_duration_seconds_count{_selector(slo, job)}[{window}])"
    return f"1 - (\n  {_BY} ({fast})\n  /\n  {_BY} ({every})\n)\n"


def _events(slo: Slo, job: str, window: str) -> str:
    family = (
        "paywatch_authorizations_total"
        if slo.slo == "availability"
        else "paywatch_authorization_duration_seconds_count"
    )
    return f"{_BY} (rate({family}{_selector(slo, job)}[{window}]))"


def _recording(spec: AlertSpec, scale: Scale) -> list[Rule]:
    rules: list[Rule] = []
    for slo in spec.slos:
        job = spec.source_jobs[slo.source]
        for prefix, build in (("slo:sli_error:ratio_rate", _sli_error), ("slo:events:rate", _events)):
            for seconds in spec.windows:
                rules.append(
                    record(
                        f"{prefix}{scale.name(seconds)}",
                        build(slo, job, scale(seconds)),
                        slo=slo.slo,
                        source=slo.source,
                    )
                )
        for channel in slo.channels:
            rules.append(
                record("slo:objective:ratio", f"{slo.objective:g}", slo=slo.slo, source=slo.source, channel=channel)
            )
    longest = scale.name(spec.longest_window)
    rules.append(record("slo:error_budget:ratio", "1 - slo:objective:ratio"))
    rules.append(
        record(
            "slo:error_budget_remaining:ratio",
            f"1 - (slo:sli_error:ratio_rate{longest} / {_ON} slo:error_budget:ratio)",
        )
    )
    return rules


def _burn_alert(spec: AlertSpec, slo: Slo, window: BurnWindow, scale: Scale) -> Rule:
    long_name, short_name = scale.name(window.long), scale.name(window.short)
    threshold = f"{window.factor * slo.error_budget:.6g}"
    match = f'{{slo="{slo.slo}",source="{slo.source}"}}'
    # The guard on both windows: rate() divides by the whole window, so a long window holding only the
    # seconds since a start reads as low traffic and stays silent until it has seen enough events.
    floor = scale.rate(slo.min_event_rate)
    expr = (
        f"slo:sli_error:ratio_rate{long_name}{match} > {threshold}\n"
        f"and {_ON}\nslo:sli_error:ratio_rate{short_name}{match} > {threshold}\n"
        f"and {_ON}\nslo:events:rate{long_name}{match} >= {floor}\n"
        f"and {_ON}\nslo:events:rate{short_name}{match} >= {floor}\n"
    )
    days_left = 30 / window.factor
    what = "failed technically" if slo.slo == "availability" else f"took longer than {slo.threshold_seconds:g} s"
    return alert(
        BURN_ALERTS[slo.slo],
        expr,
        for_=scale(window.for_),
        labels={
            "severity": window.severity,
            "long": long_name,
            "short": short_name,
            "exporter": spec.source_jobs[slo.source],
        },
        summary=(
            f"{slo.source.capitalize()} {{{{ $labels.channel }}}} {slo.slo} is burning its error budget "
            f"{window.factor:g}x too fast"
        ),
        description=(
            f"{{{{ $value | humanizePercentage }}}} of {slo.source} {{{{ $labels.channel }}}} authorizations {what} "
            f"over the last {scale(window.long)} (and still over the last {scale(window.short)}); the SLO allows "
            f"{slo.error_budget:.2%}. At this pace a 30-day error budget is spent in {days_left:.1f} days."
        ),
        dashboard="overview",
    )


def slo_groups(spec: AlertSpec, scale: Scale) -> list[dict[str, Any]]:
    """Two groups: the SLI recording rules, then the burn-rate alerts that read them."""
    alerts = [
        _burn_alert(spec, slo, window, scale)
        for slo in spec.slos
        for window in spec.burn_windows
        if window.severity in slo.severities
    ]
    return [
        {"name": "paywatch-slo-sli", "rules": _recording(spec, scale)},
        {"name": "paywatch-slo-burn", "rules": alerts},
    ]
