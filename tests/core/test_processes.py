"""Real Prometheus -> real Alertmanager -> the webhook receiver, through paywatch.processes."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from paywatch.alertfeed import AlertFeed
from paywatch.processes import prometheus_config, start_alertmanager, start_prometheus

ALWAYS_FIRING = """
groups:
  - name: plumbing
    rules:
      - alert: PlumbingCheck
        expr: vector(1)
        labels: {severity: page}
        annotations: {runbook_url: "https://example.invalid/runbooks/PlumbingCheck"}
"""


def _alertmanager_config(url: str) -> str:
    return (
        "route:\n  receiver: feed\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n"
        f"receivers:\n  - name: feed\n    webhook_configs:\n      - url: {url}\n        send_resolved: true\n"
    )


async def test_alert_travels_from_prometheus_to_the_webhook(tmp_path: Path) -> None:
    feed = await AlertFeed().start()
    am = await start_alertmanager(tmp_path / "am", _alertmanager_config(feed.url))
    config = prometheus_config(
        scrape_jobs={"nothing": ["127.0.0.1:1"]},
        rule_files=["plumbing.yml"],
        alertmanager=am.url.removeprefix("http://"),
        interval_s=1,
    )
    prom = await start_prometheus(tmp_path / "prom", config, {"plumbing.yml": ALWAYS_FIRING}, resend_delay_s=1)
    try:
        note = await feed.wait_for("PlumbingCheck", timeout_s=30)
    finally:
        await prom.stop()
        await am.stop()
        await feed.stop()
    assert note is not None, prom.log_tail()
    assert note.receiver == "feed"
    assert note.alerts[0]["annotations"]["runbook_url"].endswith("/PlumbingCheck")
    assert prom.process.poll() is not None and am.process.poll() is not None


async def test_alertmanager_listens_on_loopback_only(tmp_path: Path) -> None:
    am = await start_alertmanager(tmp_path / "am", _alertmanager_config("http://127.0.0.1:9/x"))
    try:
        assert am.url.startswith("http://127.0.0.1:")
        args = " ".join(am.process.args)  # type: ignore[arg-type]
        assert "--cluster.listen-address=" in args
        async with aiohttp.ClientSession() as session, session.get(am.url + "/api/v2/status") as response:
            status = await response.json()
        assert status["cluster"]["status"] == "disabled"
    finally:
        await am.stop()


async def test_feed_rejects_and_counts_malformed_posts() -> None:
    feed = await AlertFeed().start()
    try:
        async with aiohttp.ClientSession() as session:
            for body in (b"not json", json.dumps({"alerts": "x"}).encode(), b"[]"):
                async with session.post(feed.url, data=body) as response:
                    assert response.status == 400
            good = {"receiver": "r", "status": "firing", "alerts": [{"labels": {"alertname": "A"}}]}
            async with session.post(feed.url, json=good) as response:
                assert response.status == 200
    finally:
        await feed.stop()
    assert feed.malformed == 3
    assert [n.alert_names() for n in feed.notifications] == [{"A"}]


async def test_vendor_stand_ins_check_what_the_vendor_requires() -> None:
    feed = await AlertFeed().start()
    trigger = {"routing_key": "k", "event_action": "trigger", "payload": {"summary": "s", "severity": "critical"}}
    cases = [
        (feed.pager_url, trigger, 202),
        (feed.pager_url, {"event_action": "trigger", "payload": {}}, 400),
        (feed.pager_url, {"routing_key": "k", "event_action": "explode"}, 400),
        (feed.chat_url, {"channel": "#oncall", "text": "POS down"}, 200),
        (feed.chat_url, {"channel": "#oncall"}, 400),
        (feed.deadman_url, {"status": "firing", "alerts": []}, 200),
        (feed.deadman_url, None, 400),
    ]
    try:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for url, body, _ in cases:
                data = b"{" if body is None else json.dumps(body).encode()
                async with session.post(url, data=data) as response:
                    statuses.append(response.status)
    finally:
        await feed.stop()
    assert statuses == [expected for _, _, expected in cases]
    assert len(feed.pager_events) == 1 and len(feed.chat_messages) == 1 and feed.deadman_pings == 1
    assert feed.malformed == 4
