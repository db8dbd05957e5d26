"""alerts/alertmanager.yml: amtool accepts it in both profiles, routes pages to both pager receivers,
tickets to chat and the Watchdog to the dead man's switch, and carries the inhibitions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alerts import ALERTMANAGER_PATH, alert_rules, alertmanager_config
from alerts.alertmanager import ReceiverUrls
from paywatch.config import PROFILES
from tests.alerts.tools import run_tool

URLS: ReceiverUrls = {
    "incident_webhook_url": "http://127.0.0.1:1/alerts",
    "pager_url": "http://127.0.0.1:2/v2/enqueue",
    "chat_url": "http://127.0.0.1:3/chat",
    "deadman_url": "http://127.0.0.1:4/ping",
}


def _written(tmp_path: Path, profile: str) -> Path:
    path = tmp_path / "alertmanager.yml"
    path.write_text(alertmanager_config(time_scale=PROFILES[profile], **URLS))
    return path


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_amtool_check_config_is_clean(profile: str, tmp_path: Path) -> None:
    result = run_tool("amtool", "check-config", _written(tmp_path, profile))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout


def test_committed_config_passes_amtool() -> None:
    result = run_tool("amtool", "check-config", ALERTMANAGER_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


ROUTES = [
    ("page", ["severity=page", "alertname=PaywatchChannelDown", "channel=pos"], "incident-service,pager"),
    (
        "slo-page",
        ["severity=page", "alertname=PaywatchAvailabilityBudgetBurn", "slo=availability"],
        "incident-service,pager",
    ),
    ("ticket", ["severity=ticket", "alertname=PaywatchSyntheticHoldsOpen"], "chat"),
    ("watchdog", ["severity=none", "alertname=Watchdog"], "deadmans-switch"),
    ("unlabelled", ["alertname=SomethingNew"], "chat"),
]


@pytest.mark.parametrize(("labels", "receivers"), [case[1:] for case in ROUTES], ids=[case[0] for case in ROUTES])
def test_routing(labels: list[str], receivers: str, tmp_path: Path) -> None:
    result = run_tool("amtool", "config", "routes", "test", f"--config.file={_written(tmp_path, 'fast')}", *labels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receivers


def test_receivers_get_the_urls_they_were_given() -> None:
    config = yaml.safe_load(alertmanager_config(**URLS))
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["incident-service"]["webhook_configs"][0]["url"] == URLS["incident_webhook_url"]
    assert receivers["pager"]["pagerduty_configs"][0]["url"] == URLS["pager_url"]
    assert receivers["chat"]["slack_configs"][0]["api_url"] == URLS["chat_url"]


TIMING = [("production", "30s", "5m", "1h"), ("fast", "2s", "20s", "4m")]


@pytest.mark.parametrize(("profile", "wait", "interval", "page_repeat"), TIMING, ids=[t[0] for t in TIMING])
def test_group_timing_scales_with_the_profile(profile: str, wait: str, interval: str, page_repeat: str) -> None:
    route = yaml.safe_load(alertmanager_config(time_scale=PROFILES[profile], **URLS))["route"]
    assert route["group_by"] == ["alertname", "channel", "slo"]
    assert (route["group_wait"], route["group_interval"]) == (wait, interval)
    pager = next(r for r in route["routes"] if r["receiver"] == "pager")
    assert pager["repeat_interval"] == page_repeat


def test_inhibitions_cover_channel_down_slo_pages_and_exporters() -> None:
    rules = yaml.safe_load(alertmanager_config(**URLS))["inhibit_rules"]
    by_source = {" ".join(r["source_matchers"]): r for r in rules}
    channel = by_source['alertname="PaywatchChannelDown"']
    assert channel["equal"] == ["channel"]
    assert "PaywatchProbeJourneyFailing" in channel["target_matchers"][0]
    assert "PaywatchFailureReasonSpike" in channel["target_matchers"][0]
    slo = by_source['severity="page" slo=~".+"']
    assert slo["target_matchers"] == ['severity="ticket"', 'slo=~".+"']
    assert set(slo["equal"]) == {"slo", "source", "channel"}
    for job in ("paywatch-probe", "paywatch-authlog"):
        rule = by_source[f'alertname="PaywatchTelemetryDown" job="{job}"']
        assert rule["target_matchers"] == [f'exporter="{job}"']


def test_every_exporter_label_names_a_scrape_job_that_an_inhibition_covers() -> None:
    exporters = {rule["labels"].get("exporter") for rule in alert_rules()} - {None}
    assert exporters == {"paywatch-probe", "paywatch-authlog"}
