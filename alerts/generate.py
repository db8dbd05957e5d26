"""Turns alerts/slos.yaml into Prometheus rule files, and writes or checks the committed ones.

The committed alerts/rules/*.yml are ``rule_files(1.0)``; the fast profile is the same spec at another scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alerts.building import Rule, Scale, dump_rule_file, with_links
from alerts.catalog import catalog_groups
from alerts.slo_rules import slo_groups
from alerts.spec import AlertSpec, default_spec

__all__ = ["RULES_DIR", "alert_rules", "check_rule_files", "rule_files", "write_rule_files"]

RULES_DIR = Path(__file__).with_name("rules")


def _files(spec: AlertSpec, time_scale: float) -> dict[str, list[dict[str, Any]]]:
    scale = Scale(time_scale)
    files = {"slos.yml": slo_groups(spec, scale), "paywatch.yml": catalog_groups(spec, scale)}
    for groups in files.values():
        for group in groups:
            group["rules"] = [with_links(rule, spec) for rule in group["rules"]]
    return files


def rule_files(time_scale: float = 1.0, spec: AlertSpec | None = None) -> dict[str, str]:
    """File name -> YAML text of every rule file, at ``time_scale`` (1.0 is production)."""
    spec = spec or default_spec()
    return {name: dump_rule_file(groups, time_scale=time_scale) for name, groups in _files(spec, time_scale).items()}


def alert_rules(time_scale: float = 1.0, spec: AlertSpec | None = None) -> list[Rule]:
    """Every alerting rule as a dictionary (for runbook and routing checks)."""
    spec = spec or default_spec()
    return [
        rule
        for groups in _files(spec, time_scale).values()
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    ]


def write_rule_files(out: Path, time_scale: float = 1.0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rule_files(time_scale).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check_rule_files(out: Path, time_scale: float = 1.0) -> list[str]:
    """Names of the files in ``out`` that differ from what the generator makes now (missing counts)."""
    drifted = []
    for name, text in rule_files(time_scale).items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            drifted.append(name)
    return drifted
