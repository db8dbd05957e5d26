"""Runbooks: one page per alert with every section, and PromQL that parses and reads only metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alerts import alert_rules, rule_files
from exporters.metrics import AUTHLOG_FAMILIES, CONTRACT_FAMILIES, HEALTH_FAMILIES
from tests.alerts.promql_names import metric_names
from tests.alerts.runbook_queries import PROMQL_BLOCK, RUNBOOK_QUERIES, RUNBOOKS
from tests.alerts.tools import run_tool

SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation", "Escalation", "Communication")
ALERT_NAMES = sorted({str(rule["alert"]) for rule in alert_rules()})


def _exposed_names() -> set[str]:
    names = {"up", "ALERTS", "ALERTS_FOR_STATE"}
    for family in (*CONTRACT_FAMILIES, *HEALTH_FAMILIES, *AUTHLOG_FAMILIES):
        names.add(family.name)
        if family.kind == "histogram":
            names |= {f"{family.name}_bucket", f"{family.name}_count", f"{family.name}_sum"}
    return names


def _recorded_names() -> set[str]:
    return {
        str(rule["record"])
        for text in rule_files().values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


KNOWN_METRICS = _exposed_names() | _recorded_names()


BLOCKS = RUNBOOK_QUERIES


@pytest.mark.parametrize("alertname", ALERT_NAMES)
def test_every_alert_has_a_runbook_with_every_section(alertname: str) -> None:
    path = RUNBOOKS / f"{alertname}.md"
    assert path.is_file(), f"runbooks/{alertname}.md missing"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# {alertname}\n")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert [h for h in headings if h in SECTIONS] == list(SECTIONS), f"sections found: {headings}"
    assert PROMQL_BLOCK.search(text), "Diagnosis needs at least one ```promql block"
    for audience in ("Customers", "Partners", "Regulator"):
        assert f"**{audience}" in text.split("## Communication", 1)[1], f"no {audience} template"


def test_no_runbook_without_an_alert() -> None:
    orphans = {p.stem for p in RUNBOOKS.glob("*.md")} - set(ALERT_NAMES) - {"README"}
    assert not orphans


def test_every_runbook_promql_block_parses(tmp_path: Path) -> None:
    assert len(BLOCKS) >= len(ALERT_NAMES)
    rules = [{"record": f"runbook:check_{i}", "expr": expr} for i, (_, expr) in enumerate(BLOCKS)]
    path = tmp_path / "runbook-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "runbook-queries", "rules": rules}]}))
    result = run_tool("promtool", "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


@pytest.mark.parametrize(("where", "expr"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_runbook_promql_reads_only_known_metrics(where: str, expr: str) -> None:
    unknown = metric_names(expr) - KNOWN_METRICS
    assert not unknown, f"{where} reads {sorted(unknown)}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: f"{r['alert']}-{r['labels']['severity']}")
def test_alert_expressions_read_only_known_metrics(rule: dict[str, object]) -> None:
    unknown = metric_names(str(rule["expr"])) - KNOWN_METRICS
    assert not unknown, f"{rule['alert']} reads {sorted(unknown)}"


def _section(text: str, name: str) -> str:
    return text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]


PAGES = sorted({str(r["alert"]) for r in alert_rules() if r["labels"]["severity"] == "page"})


@pytest.mark.parametrize("alertname", ALERT_NAMES)
def test_runbook_says_where_to_look_and_when_to_escalate(alertname: str) -> None:
    text = (RUNBOOKS / f"{alertname}.md").read_text(encoding="utf-8")
    assert re.search(r"/d/paywatch-(overview|channels|probes|prod-vs-synthetic)\)", _section(text, "Diagnosis"))
    escalation = _section(text, "Escalation")
    assert re.search(r"\b\d+ (min|minutes|hours?|h|working days?|business hours|working day)\b", escalation), escalation


@pytest.mark.parametrize("alertname", PAGES)
def test_paging_runbook_escalates_on_a_clock_and_has_fill_in_templates(alertname: str) -> None:
    text = (RUNBOOKS / f"{alertname}.md").read_text(encoding="utf-8")
    assert "**T+0**" in _section(text, "Escalation") and "**T+15 min**" in _section(text, "Escalation")
    if alertname != "PaywatchTelemetryDown":  # blind, not broken: nobody outside is told
        assert "HH:MM" in _section(text, "Communication")
