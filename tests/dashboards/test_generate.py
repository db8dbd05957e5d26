"""The generated dashboards: committed JSON matches the generator, and each dashboard has what on-call needs."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import alerts
from dashboards import (
    DASHBOARD_UIDS,
    JOURNEY_CHANNEL,
    PROVISIONING_DIR,
    GeneratorOptions,
    check,
    dashboard_json,
    render_all,
)
from dashboards.snapshot import TimeWindow, panels_of, resolve
from paywatch.cli import build_app

DASHBOARDS = {uid: dashboard_json(uid) for uid in DASHBOARD_UIDS}

REQUIRED_PANELS = {
    "paywatch-overview": [
        "SLO attainment (3d)",
        "Error budget left (3d)",
        "Authorization rate",
        "Approved / declined / failed",
        "Top technical failure reasons",
        "Active alerts",
    ],
    "paywatch-channels": [
        "Online: journey success by region",
        "POS: journey success by region",
        "Authorization latency percentiles",
        "Online authorization latency (heatmap, exemplars)",
        "POS authorization latency (heatmap, exemplars)",
    ],
    "paywatch-probes": [
        "Journey success by region",
        "Step success by region",
        "Step latency p95",
        "HTTP and ISO 8583 phases (mean per request)",
        "Age of last success",
        "Open synthetic holds",
    ],
    "paywatch-prod-vs-synthetic": [
        "Failure ratio gap: synthetic minus production (5m)",
        "Failure ratio: production vs synthetic",
        "Latency p99: production vs synthetic",
        "Failure reasons by source",
    ],
}


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_committed_files_match_the_generator() -> None:
    drifted = check()
    assert drifted == [], f"run `paywatch dashboards generate` and commit: {drifted}"


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(lambda root: (root / "generated/paywatch-probes.json").write_text("{}\n"), "paywatch-probes.json",
                     id="edited-dashboard"),
        pytest.param(lambda root: (root / "provisioning/datasources.yaml").unlink(), "datasources.yaml",
                     id="missing-datasources"),
        pytest.param(lambda root: (root / "generated/old.json").write_text("{}\n"), "old.json", id="stray-dashboard"),
    ],
)  # fmt: skip
def test_generate_check_fails_when_a_file_drifted(tmp_path: Path, damage: Any, expected: str) -> None:
    runner = CliRunner()
    written = runner.invoke(build_app(), ["dashboards", "generate", "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert runner.invoke(build_app(), ["dashboards", "generate", "--check", "--out", str(tmp_path)]).exit_code == 0
    damage(tmp_path)
    result = runner.invoke(build_app(), ["dashboards", "generate", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert expected in result.output


@pytest.mark.parametrize("uid", DASHBOARD_UIDS)
def test_dashboard_has_uid_tags_variables_and_alert_annotations(uid: str) -> None:
    dashboard = DASHBOARDS[uid]
    assert dashboard["uid"] == uid
    assert "paywatch" in dashboard["tags"] and len(dashboard["tags"]) >= 2
    assert [a["name"] for a in dashboard["annotations"]["list"]] == ["Alerts firing"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    for name in set(variables) - {"datasource"}:
        assert variables[name]["includeAll"] and variables[name]["allValue"] == ".*"


def test_the_dashboards_filter_by_data_source_channel_region_and_source() -> None:
    declared = {v["name"] for d in DASHBOARDS.values() for v in d["templating"]["list"]}
    assert {"datasource", "channel", "region", "source"} <= declared


# the filter labels each series carries (metric contract and the recording rules in alerts/rules)
_SERIES_LABELS = [
    (re.compile(r"^(paywatch_authorization|paywatch:authorization|slo:)"), {"channel", "source"}),
    (re.compile(r"^(paywatch_probe_|paywatch:probe_)"), {"journey", "region"}),
]
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")


def _selectors(dashboard: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, metric, matchers) for every selector in every panel query."""
    return [
        (panel["title"], metric, matchers)
        for panel in _panels(dashboard)
        for target in panel["targets"]
        for metric, matchers in _SELECTOR.findall(target["expr"])
    ]


@pytest.mark.parametrize("uid", DASHBOARD_UIDS)
def test_every_variable_filters_every_query_it_applies_to(uid: str) -> None:
    dashboard = DASHBOARDS[uid]
    filters = {v["name"] for v in dashboard["templating"]["list"]} - {"datasource"}
    used: set[str] = set()
    unfiltered = []
    for title, metric, matchers in _selectors(dashboard):
        labels = next((labels for pattern, labels in _SERIES_LABELS if pattern.match(metric)), set())
        for name in filters & labels:
            if f'{name}=~"${name}"' in matchers:
                used.add(name)
            # a fixed value (source="synthetic" in a comparison) is a deliberate choice, not a forgotten filter
            elif not re.search(rf'\b{name}="[^"$]+"', matchers):
                unfiltered.append(f"{title}: {metric} ignores ${name}")
    assert unfiltered == []
    assert used == filters, f"declared but never used: {sorted(filters - used)}"


def test_journey_channels_match_the_alert_spec() -> None:
    assert dict(alerts.load_spec().journeys) == JOURNEY_CHANNEL


@pytest.mark.parametrize("uid", DASHBOARD_UIDS)
def test_dashboard_has_the_panels_on_call_needs(uid: str) -> None:
    titles = [p["title"] for p in _panels(DASHBOARDS[uid])]
    missing = [t for t in REQUIRED_PANELS[uid] if t not in titles]
    assert missing == []
    assert len(set(titles)) == len(titles), "panel titles must be unique within a dashboard"


@pytest.mark.parametrize("uid", DASHBOARD_UIDS)
def test_every_panel_has_description_unit_datasource_and_stable_id(uid: str) -> None:
    panels = _panels(DASHBOARDS[uid])
    ids = [p["id"] for p in DASHBOARDS[uid]["panels"]]
    assert len(set(ids)) == len(ids) and 0 not in ids
    for panel in panels:
        assert panel["description"], panel["title"]
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]


def test_every_table_says_what_its_value_counts() -> None:
    tables = [p for d in DASHBOARDS.values() for p in _panels(d) if p["type"] == "table"]
    assert len(tables) >= 4
    for panel in tables:
        (organize,) = [t["options"] for t in panel["transformations"] if t["id"] == "organize"]
        named = organize["renameByName"].get("Value", "Value") != "Value"
        assert named or organize["excludeByName"]["Value"], f"{panel['title']}: a bare 'Value' column"
        assert organize["indexByName"], panel["title"]


def test_units_and_thresholds_are_used() -> None:
    units = {p["fieldConfig"]["defaults"]["unit"] for d in DASHBOARDS.values() for p in _panels(d)}
    assert {"s", "percentunit", "reqps"} <= units
    with_thresholds = [
        p for d in DASHBOARDS.values() for p in _panels(d) if p["fieldConfig"]["defaults"].get("thresholds")
    ]
    assert len(with_thresholds) >= 10


def test_heatmaps_ask_for_exemplars_and_the_datasource_links_them_to_traces() -> None:
    heatmaps = [p for p in _panels(DASHBOARDS["paywatch-channels"]) if p["type"] == "heatmap"]
    assert len(heatmaps) == 2
    assert all(t["exemplar"] and t["format"] == "heatmap" for p in heatmaps for t in p["targets"])
    options = GeneratorOptions(tracing_datasource_uid="tempo-eu")
    document = yaml.safe_load(render_all(options)[PROVISIONING_DIR / "datasources.yaml"])
    destinations = document["datasources"][0]["jsonData"]["exemplarTraceIdDestinations"]
    assert destinations == [{"name": "trace_id", "datasourceUid": "tempo-eu"}]


def test_runbook_links_name_every_alert_and_follow_the_base_url() -> None:
    base = "https://runbooks.example.org/paywatch"
    alert_names = {
        rule["alert"]
        for text in alerts.rule_files(1.0).values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    linked = set()
    for uid in DASHBOARD_UIDS:
        for panel in _panels(dashboard_json(uid, GeneratorOptions(runbook_base_url=base))):
            for link in panel.get("links", []):
                match = re.fullmatch(re.escape(base) + r"/(\w+)\.md", link["url"])
                assert match, link["url"]
                linked.add(match.group(1))
    assert linked <= alert_names, sorted(linked - alert_names)
    # every alert but the always-firing Watchdog explains some panel, so on-call reaches its runbook from there
    assert alert_names - linked == {"Watchdog"}


def test_provisioning_points_grafana_at_the_generated_dashboards() -> None:
    providers = yaml.safe_load((PROVISIONING_DIR / "dashboards.yaml").read_text())["providers"]
    assert providers[0]["type"] == "file"
    assert providers[0]["options"]["path"] == "${PAYWATCH_DASHBOARDS_DIR}"
    datasource = yaml.safe_load((PROVISIONING_DIR / "datasources.yaml").read_text())["datasources"][0]
    assert datasource["type"] == "prometheus"
    assert datasource["uid"] == GeneratorOptions().prometheus_datasource_uid


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    window = TimeWindow(time.time() - 900, time.time())
    rules = [
        {
            "record": f"dashboard:{uid.replace('-', '_')}:{panel.id}_{target['refId']}",
            "expr": resolve(target["expr"], window),
        }
        for uid in DASHBOARD_UIDS
        for panel in panels_of(DASHBOARDS[uid])
        for target in panel.targets
    ]
    rules += [
        {"record": f"dashboard:{uid.replace('-', '_')}:annotation_{index}", "expr": annotation["expr"]}
        for uid in DASHBOARD_UIDS
        for index, annotation in enumerate(DASHBOARDS[uid]["annotations"]["list"])
    ]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
