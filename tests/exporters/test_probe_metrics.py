"""The probes' metrics sink: contract families, values, exemplars and the cardinality guard."""

from __future__ import annotations

import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporters import CONTRACT_FAMILIES, ProbeMetrics, exemplar_for
from paywatch.config import default_config
from paywatch.taxonomy import Reason
from probes.results import JourneyOutcome

from .helpers import TRACE_ID, journey, step


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def sink(registry: CollectorRegistry) -> ProbeMetrics:
    return ProbeMetrics(registry, default_config())


def _families(registry: CollectorRegistry) -> set[str]:
    names = set()
    for metric in registry.collect():
        names.add(metric.name + ("_total" if metric.type == "counter" else ""))
    return names


def test_every_contract_family_is_registered(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    missing = {spec.name for spec in CONTRACT_FAMILIES} - _families(registry)
    assert missing == set()


def test_successful_run_counts_and_stamps(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    result = journey(started_at=1_000.0)
    sink.record_journey(result)
    labels = {"journey": "virtual_card_online", "region": "north"}
    assert registry.get_sample_value("paywatch_probe_runs_total", {**labels, "outcome": "success"}) == 1
    assert registry.get_sample_value("paywatch_probe_runs_total", {**labels, "outcome": "failure"}) == 0
    assert registry.get_sample_value("paywatch_probe_last_success_timestamp_seconds", labels) == pytest.approx(1000.4)
    assert registry.get_sample_value("paywatch_probe_last_run_timestamp_seconds", labels) == pytest.approx(1000.4)
    assert registry.get_sample_value("paywatch_probe_duration_seconds_count", labels) == 1
    assert (
        registry.get_sample_value(
            "paywatch_probe_step_duration_seconds_bucket", {**labels, "step": "authorize", "le": "0.25"}
        )
        == 1
    )
    assert (
        registry.get_sample_value(
            "paywatch_probe_http_phase_duration_seconds_count", {**labels, "step": "authorize", "phase": "dns"}
        )
        == 1
    )
    auth = {"source": "synthetic", "channel": "online"}
    assert (
        registry.get_sample_value(
            "paywatch_authorizations_total", {**auth, "outcome": "approved", "reason": "approved"}
        )
        == 1
    )
    assert registry.get_sample_value("paywatch_authorization_duration_seconds_count", auth) == 1


def test_failed_step_counts_failure_and_keeps_last_success(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.record_journey(journey(started_at=500.0))
    failed = journey(steps=(step("authorize", ok=False, reason=Reason.ISSUER_UNAVAILABLE),), started_at=900.0)
    sink.record_journey(failed)
    labels = {"journey": "virtual_card_online", "region": "north"}
    assert (
        registry.get_sample_value(
            "paywatch_probe_failures_total", {**labels, "step": "authorize", "reason": "issuer_unavailable"}
        )
        == 1
    )
    assert registry.get_sample_value("paywatch_probe_runs_total", {**labels, "outcome": "failure"}) == 1
    assert registry.get_sample_value("paywatch_probe_last_success_timestamp_seconds", labels) == pytest.approx(500.4)
    assert registry.get_sample_value("paywatch_probe_last_run_timestamp_seconds", labels) == pytest.approx(900.2)
    assert (
        registry.get_sample_value(
            "paywatch_authorizations_total",
            {"source": "synthetic", "channel": "online", "outcome": "failed", "reason": "issuer_unavailable"},
        )
        == 1
    )


def test_run_failing_outside_a_step_counts_as_journey_failure(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.record_journey(journey(outcome=JourneyOutcome.FAILURE, reason=Reason.TIMEOUT))
    assert (
        registry.get_sample_value(
            "paywatch_probe_failures_total",
            {"journey": "virtual_card_online", "region": "north", "step": "journey", "reason": "timeout"},
        )
        == 1
    )


def test_open_holds_gauge_follows_last_value(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.set_open_holds("pos_purchase", "south", 3)
    sink.set_open_holds("pos_purchase", "south", 1)
    assert registry.get_sample_value("paywatch_probe_open_holds", {"journey": "pos_purchase", "region": "south"}) == 1


@pytest.mark.parametrize(
    ("trace_id", "expected"),
    [
        pytest.param(TRACE_ID, {"trace_id": TRACE_ID}, id="valid"),
        pytest.param(None, None, id="none"),
        pytest.param("0" * 32, None, id="all-zero"),
        pytest.param("xyz", None, id="not-hex"),
        pytest.param(TRACE_ID * 10, None, id="too-long"),
        pytest.param(TRACE_ID + "\n", None, id="trailing-newline"),
    ],
)
def test_exemplar_only_for_valid_trace_ids(trace_id: str | None, expected: dict[str, str] | None) -> None:
    assert exemplar_for(trace_id) == expected


def test_openmetrics_exposition_carries_trace_id_exemplars(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.record_journey(journey(steps=(step("authorize", ok=False, reason=Reason.TIMEOUT),)))
    text = generate_openmetrics(registry).decode()
    exemplar = f'# {{trace_id="{TRACE_ID}"}}'
    with_exemplar = {line.split("{")[0] for line in text.splitlines() if exemplar in line}
    assert {
        "paywatch_probe_failures_total",
        "paywatch_probe_duration_seconds_bucket",
        "paywatch_probe_step_duration_seconds_bucket",
        "paywatch_authorization_duration_seconds_bucket",
    } <= with_exemplar


HOSTILE = [
    pytest.param("journey", "x" * 10_000, id="huge-journey"),
    pytest.param("journey", "支付旅程", id="unicode-journey"),
    pytest.param("region", 'north"}\n# evil', id="injection-region"),
    pytest.param("region", "mars", id="unknown-region"),
    pytest.param("step", "Step With Spaces", id="not-slug-step"),
    pytest.param("step", "s" * 500, id="huge-step"),
    pytest.param("step", "authorize_x\n", id="slug-with-trailing-newline"),
    pytest.param("reason", "card 6229990000000001 declined", id="pan-in-reason"),
]


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_label_value_becomes_other(
    registry: CollectorRegistry, sink: ProbeMetrics, field: str, value: str
) -> None:
    kwargs: dict[str, str] = {"name": "virtual_card_online", "region": "north"}
    step_name, reason = "authorize", Reason.TIMEOUT
    if field in ("journey", "region"):
        kwargs["name" if field == "journey" else "region"] = value
    elif field == "step":
        step_name = value
    failing = step(step_name, ok=False, reason=reason)
    if field == "reason":
        failing = step(step_name, ok=False, reason=value)  # type: ignore[arg-type]
    sink.record_journey(journey(kwargs["name"], kwargs["region"], steps=(failing,)))
    text = generate_latest(registry).decode()
    assert value not in text
    label = {"journey": "journey", "region": "region", "step": "step", "reason": "reason"}[field]
    assert f'{label}="other"' in text
    assert registry.get_sample_value("paywatch_sink_errors_total", {"sink": "probe_metrics"}) == 0


def test_series_count_stays_bounded_under_random_labels(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    def series() -> int:
        return sum(len(m.samples) for m in registry.collect())

    for i in range(50):
        sink.record_journey(journey(f"j{i}", f"r{i}", steps=(step(f"s{i}", ok=False, reason=f"r{i}"),)))  # type: ignore[arg-type]
    after_50 = series()
    for i in range(50, 500):
        sink.record_journey(journey(f"j{i}", f"r{i}", steps=(step(f"s{i}", ok=False, reason=f"r{i}"),)))  # type: ignore[arg-type]
    assert series() == after_50


def test_broken_result_is_counted_not_raised(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.record_journey(object())  # type: ignore[arg-type]
    assert registry.get_sample_value("paywatch_sink_errors_total", {"sink": "probe_metrics"}) == 1


def test_promtool_check_metrics_is_silent(registry: CollectorRegistry, sink: ProbeMetrics) -> None:
    sink.record_journey(journey())
    sink.record_journey(journey("pos_purchase", "west", steps=(step("authorize", ok=False, channel="pos"),)))
    sink.set_open_holds("pos_purchase", "west", 2)
    done = subprocess.run(
        ["promtool", "check", "metrics"], input=generate_latest(registry), capture_output=True, timeout=30
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, b"")
