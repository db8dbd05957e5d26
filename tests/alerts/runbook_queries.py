"""The PromQL blocks of every runbook, named ``<runbook>#<n>``: parsed by promtool in test_runbooks and run
against a live Prometheus in test_chain."""

from __future__ import annotations

import re
from pathlib import Path

from alerts import RULES_DIR

__all__ = ["PROMQL_BLOCK", "RUNBOOKS", "RUNBOOK_QUERIES", "runbook_queries"]

RUNBOOKS = RULES_DIR.parent.parent / "runbooks"
PROMQL_BLOCK = re.compile(r"```promql\n(.*?)```", re.DOTALL)


def runbook_queries(runbooks: Path = RUNBOOKS) -> list[tuple[str, str]]:
    blocks = []
    for path in sorted(runbooks.glob("*.md")):
        for index, block in enumerate(PROMQL_BLOCK.findall(path.read_text(encoding="utf-8")), start=1):
            blocks.append((f"{path.stem}#{index}", " ".join(block.split())))
    return blocks


RUNBOOK_QUERIES = runbook_queries()
