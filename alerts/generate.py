"""Turns alerts/slos.yaml into Prometheus rule files (``paywatch rules generate`` writes and checks them).

The committed alerts/rules/*.yml are ``rule_files(1.0)``; the fast profile is the same spec at another scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alerts.building import Rule, Scale, dump_rule_file, with_links
from alerts.catalog import catalog_groups
from alerts.slo_rules import slo_groups
from alerts.spec import AlertSpec, default_spec

__all__ = ["RULES_DIR", "alert_rules", "rule_files"]

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
