"""``paywatch probe --once`` end to end, user journeys, tracing, and no card data in any output."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from typer.testing import CliRunner

from paywatch.cards import find_pans
from paywatch.cli import build_app
from paywatch.config import BUILTIN_JOURNEYS, CardApiTarget, ConfigError, JourneySpec, PaywatchConfig
from probes import JourneyOutcome, plan, run_once
from sandbox import RunningSandbox
from tests.probes.conftest import STEP_TIMEOUT_S, Admin


def _config_file(sandbox: RunningSandbox, tmp_path: Path) -> Path:
    raw = {
        "targets": {
            "card_api": {"base_url": sandbox.http_url},
            "pos_host": {"host": sandbox.iso_host, "port": sandbox.iso_port},
        },
        "journeys": [{"name": n, "step_timeout_s": STEP_TIMEOUT_S, "timeout_s": 2.0} for n in BUILTIN_JOURNEYS],
        "probe": {"state_dir": str(tmp_path / "cli-state"), "reversal_backoff_initial_s": 0.05},
    }
    path = tmp_path / "paywatch.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


async def _invoke(*args: str) -> Any:
    # The command runs its own event loop; the sandbox keeps serving on this one meanwhile.
    return await asyncio.to_thread(CliRunner().invoke, build_app(), list(args))


async def test_once_json_lists_every_journey_and_region(sandbox: RunningSandbox, tmp_path: Path) -> None:
    result = await _invoke("probe", "--once", "--json", "--config", str(_config_file(sandbox, tmp_path)))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(r["journey"], r["region"]) for r in rows} == {
        (j, r.name) for j in BUILTIN_JOURNEYS for r in sandbox.config.regions
    }
    for row in rows:
        assert {"journey", "region", "outcome", "reason", "duration_ms", "steps"} <= set(row)
        assert (row["outcome"], row["reason"]) == ("success", "approved")
        assert all({"step", "outcome", "reason", "duration_ms"} <= set(step) for step in row["steps"])


SELECTIONS = [
    ("one-region", ["--region", "west"], 0, {(j, "west") for j in BUILTIN_JOURNEYS}),
    ("one-journey", ["--journey", "pos_purchase"], 1, {("pos_purchase", r) for r in ("north", "south", "west")}),
]


@pytest.mark.parametrize(("args", "exit_code", "expected"), [s[1:] for s in SELECTIONS], ids=[s[0] for s in SELECTIONS])
async def test_once_selects_and_fails_with_exit_code_one(
    sandbox: RunningSandbox, admin: Admin, tmp_path: Path, args: list[str], exit_code: int, expected: set[Any]
) -> None:
    await admin.inject(target="pos_host", effect="timeout", region="south")
    config = str(_config_file(sandbox, tmp_path))
    result = await _invoke("probe", "--once", "--json", "--config", config, *args)
    rows = json.loads(result.stdout)
    assert {(r["journey"], r["region"]) for r in rows} == expected
    failed = {(r["journey"], r["region"], r["reason"]) for r in rows if r["outcome"] == "failure"}
    assert failed == ({("pos_purchase", "south", "timeout")} if exit_code else set())
    assert result.exit_code == exit_code


async def test_once_table_and_unknown_region(sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = str(_config_file(sandbox, tmp_path))
    table = await _invoke("probe", "--once", "--config", config, "--region", "north")
    assert table.exit_code == 0
    assert "credit_line_binding" in table.stdout and "success" in table.stdout
    unknown = await _invoke("probe", "--once", "--config", config, "--region", "mars")
    assert unknown.exit_code == 1
    assert "unknown region 'mars'" in unknown.stderr


async def test_no_card_number_in_any_output_even_when_failing(
    sandbox: RunningSandbox, admin: Admin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = str(_config_file(sandbox, tmp_path))
    outputs = []
    for fault in (
        None,
        {"target": "risk", "effect": "malformed", "region": "north"},
        {"target": "issuer", "effect": "decline", "response_code": "14", "region": "south"},
        {"target": "card_api", "effect": "reset", "region": "west"},
        {"target": "pos_host", "effect": "malformed", "region": "west"},
    ):
        if fault:
            await admin.inject(**fault)
        for args in (["--json"], []):
            result = await _invoke("probe", "--once", "--config", config, *args)
            outputs += [result.stdout, result.stderr]
    assert "failure" in "".join(outputs)  # the faults did bite
    everything = "\n".join(outputs) + "\n".join(r.getMessage() for r in caplog.records)
    assert find_pans(everything) == []


async def test_user_journey_from_a_module(config: PaywatchConfig) -> None:
    spec = JourneySpec(name="shop_health", module="tests.probes.user_journey:journey", step_timeout_s=0.5, timeout_s=2)
    config = config.model_copy(update={"journeys": [spec]})
    results = await run_once(config, regions=["north"])
    assert [(r.journey, r.outcome, [s.step for s in r.steps]) for r in results] == [
        ("shop_health", JourneyOutcome.SUCCESS, ["health", "issue_card"])
    ]


@pytest.mark.parametrize(
    "module", ["tests.probes.user_journey:not_steps", "tests.probes.user_journey:missing", "no.such.module:f"]
)
def test_bad_user_journey_fails_at_start(config: PaywatchConfig, module: str) -> None:
    config = config.model_copy(update={"journeys": [JourneySpec(name="bad", module=module)]})
    with pytest.raises(ConfigError, match=re.escape("journeys.bad.module")):
        plan(config)


async def test_spans_per_journey_and_step_carry_results_but_no_card_data(config: PaywatchConfig) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    results = await run_once(config, tracer_provider=provider, regions=["north"])
    spans = exporter.get_finished_spans()
    journeys = [s for s in spans if s.name.startswith("journey ")]
    steps = [s for s in spans if s.name.startswith("step ")]
    assert len(journeys) == len(results) == len(BUILTIN_JOURNEYS)
    assert {f"{s.context.trace_id:032x}" for s in journeys} == {r.trace_id for r in results}
    assert all(s.parent is not None and s.attributes and s.attributes["region"] == "north" for s in steps)
    authorize = next(s for s in steps if s.name == "step authorize_pos")
    assert authorize.attributes is not None and authorize.attributes["response_code"] == "00"
    dumped = json.dumps([dict(s.attributes or {}) for s in spans])
    assert find_pans(dumped) == []


def test_api_key_that_would_inject_a_header_fails_at_start(config: PaywatchConfig) -> None:
    card_api = CardApiTarget(base_url="http://127.0.0.1:1", api_key=SecretStr("key\r\nX-Admin: yes"))
    config = config.model_copy(update={"targets": config.targets.model_copy(update={"card_api": card_api})})
    with pytest.raises(ConfigError, match=re.escape("targets.card_api")):
        plan(config)
