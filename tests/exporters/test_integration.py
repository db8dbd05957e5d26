"""End to end against the sandbox: the probes' /metrics scrape, and the authlog counts against the log itself."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from exporters import CONTRACT_FAMILIES, ProbeTelemetry, build_tracer_provider
from paywatch.cards import find_pans
from paywatch.config import BUILTIN_JOURNEYS, CardApiTarget, JourneySpec, PaywatchConfig, PosHostTarget, default_config
from probes.scheduler import run_once
from sandbox import RunningSandbox, start_sandbox

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def _aimed_at(box: RunningSandbox, state_dir: Path) -> PaywatchConfig:
    base = default_config()
    return base.model_copy(
        update={
            "targets": base.targets.model_copy(
                update={
                    "card_api": CardApiTarget(base_url=box.http_url),
                    "pos_host": PosHostTarget(host=box.iso_host, port=box.iso_port),
                }
            ),
            "journeys": [JourneySpec(name=n, timeout_s=3.0, step_timeout_s=1.0) for n in BUILTIN_JOURNEYS],
            "time_scale": 1.0,
            "probe": base.probe.model_copy(update={"state_dir": state_dir}),
        }
    )


async def _get(url: str, accept: str = "") -> str:
    async with aiohttp.ClientSession() as session, session.get(url, headers={"Accept": accept}) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_probe_scrape_and_authlog_counts_match_the_sandbox(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    async with start_sandbox(default_config(), http_port=0, iso_port=0, event_log=log, traffic_rate=40) as box:
        config = _aimed_at(box, tmp_path / "state")
        async with ProbeTelemetry.start(config, port=0) as telemetry:
            await run_once(config, [telemetry.sink], telemetry.tracer_provider)
            async with aiohttp.ClientSession() as session:
                fault = {"target": "issuer", "effect": "decline", "response_code": "91", "region": "west"}
                async with session.post(box.http_url + "/admin/faults", json=fault) as resp:
                    assert resp.status == 201
            await run_once(config, [telemetry.sink], telemetry.tracer_provider, regions=["west"])
            openmetrics = await _get(telemetry.url, OPENMETRICS)
            classic = await _get(telemetry.url)
        await asyncio.sleep(0.5)  # organic traffic keeps writing production events meanwhile

    families = {f.name: f for f in text_string_to_metric_families(openmetrics)}
    for spec in CONTRACT_FAMILIES:
        family = families.get(spec.base_name)
        assert family is not None and family.type == spec.kind, spec.name
        assert family.samples, f"{spec.name} has no samples"
    exemplars = {
        s.name for f in families.values() for s in f.samples if s.exemplar and len(s.exemplar.labels["trace_id"]) == 32
    }
    assert {"paywatch_probe_failures_total", "paywatch_probe_step_duration_seconds_bucket"} <= exemplars
    done = subprocess.run(["promtool", "check", "metrics"], input=classic.encode(), capture_output=True, timeout=30)
    assert (done.returncode, done.stdout + done.stderr) == (0, b"")

    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    expected = Counter((e["source"], e["channel"], e["outcome"], e["reason"]) for e in events)
    assert {source for source, *_ in expected} == {"synthetic", "production"}
    once = subprocess.run(
        [sys.executable, "-m", "exporters.authlog", "--path", str(log), "--once", "--json"],
        capture_output=True,
        timeout=60,
    )
    assert once.returncode == 0, once.stderr
    summary = json.loads(once.stdout)
    assert summary["lines"] == {"ok": len(events), "malformed": 0, "ignored": 0}
    counted = {(r["source"], r["channel"], r["outcome"], r["reason"]): r["count"] for r in summary["authorizations"]}
    assert Counter(counted) == expected


async def test_probe_runs_make_one_trace_each_with_a_span_per_step(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider(environ={})
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with start_sandbox(default_config(), http_port=0, iso_port=0, event_log=tmp_path / "events.jsonl") as box:
        config = _aimed_at(box, tmp_path / "state")
        async with ProbeTelemetry.start(config, port=0, tracer_provider=provider) as telemetry:
            results = await run_once(config, [telemetry.sink], telemetry.tracer_provider)
    spans = exporter.get_finished_spans()
    assert len(results) == len(BUILTIN_JOURNEYS) * len(config.regions)
    assert len({r.trace_id for r in results}) == len(results)
    for result in results:
        members = [s for s in spans if f"{s.context.trace_id:032x}" == result.trace_id]
        root = next(s for s in members if s.parent is None)
        assert root.name == f"journey {result.journey}"
        assert dict(root.attributes or {})["region"] == result.region
        steps = [s for s in members if s.parent is not None and s.parent.span_id == root.context.span_id]
        assert [s.name for s in sorted(steps, key=lambda s: s.start_time or 0)] == [
            f"step {step.step}" for step in result.steps
        ]
        for span, step in zip(sorted(steps, key=lambda s: s.start_time or 0), result.steps, strict=True):
            attributes = dict(span.attributes or {})
            assert (attributes["step"], attributes["outcome"], attributes["reason"]) == (
                step.step,
                step.outcome.value,
                step.reason.value,
            )
    secrets = [r.pos_card.pan.get_secret_value() for r in config.regions]
    dumped = repr([(s.name, dict(s.attributes or {}), [e.attributes for e in s.events]) for s in spans])
    assert find_pans(dumped) == []
    assert not any(pan in dumped for pan in secrets)
