"""The generated rule files: promtool accepts them in both profiles, the promtool unit tests pass,
the committed files are what the generator makes, and the fast profile only rescales windows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alerts import RULES_DIR, alert_rules, rule_files
from alerts.cli import generated_files
from alerts.spec import parse_duration
from paywatch.cli import build_app
from paywatch.config import PROFILES, default_config
from tests.alerts.tools import run_tool

TESTS_DIR = RULES_DIR.parent / "tests"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_promtool_check_rules_is_clean(profile: str, tmp_path: Path) -> None:
    paths = []
    for name, text in rule_files(PROFILES[profile]).items():
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    result = run_tool("promtool", "check", "rules", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    files = sorted(TESTS_DIR.glob("*.yml"))
    assert files, "alerts/tests/*.yml missing"
    result = run_tool("promtool", "test", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    """Per alert and severity: a page and the ticket of the same name are different rules."""
    fires: set[tuple[str, str]] = set()
    quiet: set[str] = set()
    for path in TESTS_DIR.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                for expected in case.get("exp_alerts") or []:
                    fires.add((case["alertname"], expected["exp_labels"]["severity"]))
                if not case.get("exp_alerts"):
                    quiet.add(case["alertname"])
    rules = {(str(rule["alert"]), str(rule["labels"]["severity"])) for rule in alert_rules()}
    assert rules <= fires, f"no firing case for {sorted(rules - fires)}"
    names = {name for name, _ in rules}
    # Watchdog is vector(1): there is no situation in which it must not fire.
    assert names - {"Watchdog"} <= quiet, f"no quiet case for {sorted(names - {'Watchdog'} - quiet)}"


@pytest.mark.parametrize("name", sorted(rule_files()))
def test_committed_rule_file_matches_generator(name: str) -> None:
    committed = (RULES_DIR / name).read_text(encoding="utf-8")
    assert committed == rule_files()[name], f"alerts/rules/{name} drifted: run `paywatch rules generate`"


def test_committed_alertmanager_config_matches_generator() -> None:
    for path, text in generated_files("production", None).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} drifted: run `paywatch rules generate`"


def test_generate_check_exits_1_on_drift(tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    written = runner.invoke(app, ["rules", "generate", "--profile", "fast", "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    clean = runner.invoke(app, ["rules", "generate", "--profile", "fast", "--out", str(tmp_path), "--check"])
    assert clean.exit_code == 0, clean.output
    (tmp_path / "slos.yml").write_text("# edited by hand\n")
    drifted = runner.invoke(app, ["rules", "generate", "--profile", "fast", "--out", str(tmp_path), "--check"])
    assert drifted.exit_code == 1
    assert "slos.yml" in drifted.output


def _rules(time_scale: float) -> list[dict[str, Any]]:
    return [
        rule
        for text in rule_files(time_scale).values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
    ]


WINDOW_CASES = [("5m", "20s"), ("1h", "4m"), ("3d", "4h48m")]


@pytest.mark.parametrize(("production", "fast"), WINDOW_CASES, ids=[f"{p}->{f}" for p, f in WINDOW_CASES])
def test_fast_profile_scales_windows_and_keeps_names(production: str, fast: str) -> None:
    name = f"slo:sli_error:ratio_rate{production}"
    matching = [r for r in _rules(PROFILES["fast"]) if r.get("record") == name]
    assert matching, f"{name} missing from the fast profile"
    for rule in matching:
        assert f"[{fast}]" in str(rule["expr"])
        assert not re.search(rf"\[{production}\]", str(rule["expr"]))


def test_burn_rate_alerts_follow_the_workbook() -> None:
    seen = {
        (r["labels"]["severity"], r["labels"]["long"], r["labels"]["short"])
        for r in alert_rules()
        if str(r["alert"]).endswith("BudgetBurn")
    }
    assert seen == {("page", "1h", "5m"), ("page", "6h", "30m"), ("ticket", "1d", "2h"), ("ticket", "3d", "6h")}


def test_every_alert_has_summary_description_runbook_and_dashboard() -> None:
    for rule in alert_rules():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert {"summary", "description", "runbook_url", "dashboard_url"} <= set(annotations), rule["alert"]
        assert str(annotations["runbook_url"]).endswith(f"/runbooks/{rule['alert']}.md")
        assert re.search(
            r"/d/paywatch-(overview|channels|probes|prod-vs-synthetic)$", str(annotations["dashboard_url"])
        )
        assert rule["labels"]["severity"] in {"page", "ticket", "none"}


PROMETHEUS_START_UP_S = 11
"""Prometheus hands targets to its scrapers on a fixed 5 s tick: measured here, up{} appears ~6 s after
start, and can take two ticks. No rule may page on a missing series before that, in any profile."""


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_absent_rules_wait_out_prometheus_start_up(profile: str) -> None:
    absent = [r for r in alert_rules(PROFILES[profile]) if "absent(" in str(r["expr"])]
    assert absent, "no absent() rule found"
    for rule in absent:
        assert parse_duration(str(rule["for"])) >= 2 * PROMETHEUS_START_UP_S, rule["alert"]


def test_fast_profile_guards_keep_the_production_event_counts() -> None:
    """The low-traffic guard is a count of events per window: 0.1/s in production's 5m window is 30 events,
    and the fast profile's 20s window needs the same 30, at 1.5/s."""
    guards = {
        profile: sorted(set(re.findall(r"slo:events:rate\w+\{[^}]*\} >= ([\d.]+)", text)))
        for profile in PROFILES
        for text in [rule_files(PROFILES[profile])["slos.yml"]]
    }
    assert guards == {"production": ["0.02", "0.1"], "fast": ["0.3", "1.5"]}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_run_cut_by_its_timeout_is_not_a_stalled_scheduler(profile: str) -> None:
    """Journey timeouts do not scale with the profile: the stalled-runs limit outlasts the longest run."""
    config = default_config()
    longest = max(j.timeout_s + j.interval_s * PROFILES[profile] for j in config.journeys)
    (rule,) = [r for r in alert_rules(PROFILES[profile]) if r["alert"] == "PaywatchProbeRunsStalled"]
    limit = float(str(rule["expr"]).rsplit(">", 1)[1])
    assert limit > longest
