"""The inhibitions of alerts/alertmanager.yml, proven on a real Alertmanager: alerts are posted to its API
and read back from /api/v2/alerts with their inhibited state."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from alerts import alertmanager_config
from paywatch.alertfeed import AlertFeed
from paywatch.config import PROFILES
from paywatch.processes import start_alertmanager

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None, reason="prometheus-alertmanager needed (make setup)"
)

Labels = dict[str, str]

CHANNEL_DOWN = {"alertname": "PaywatchChannelDown", "severity": "page", "channel": "pos"}
JOURNEY = {"alertname": "PaywatchProbeJourneyFailing", "severity": "page", "exporter": "paywatch-probe"}
REASON = {"alertname": "PaywatchFailureReasonSpike", "severity": "ticket", "exporter": "paywatch-authlog"}
BURN = {"alertname": "PaywatchAvailabilityBudgetBurn", "slo": "availability", "source": "production"}
LATENCY = {"alertname": "PaywatchLatencyBudgetBurn", "slo": "latency", "source": "production"}

# (id, firing sources, [(target, inhibited?)])
CASES: list[tuple[str, list[Labels], list[tuple[Labels, bool]]]] = [
    (
        "channel-down-mutes-that-channels-journeys-and-reasons",
        [CHANNEL_DOWN],
        [
            ({**JOURNEY, "journey": "pos_purchase", "channel": "pos"}, True),
            ({**REASON, "channel": "pos", "source": "production", "reason": "system_malfunction"}, True),
            ({**JOURNEY, "journey": "virtual_card_online", "channel": "online"}, False),
            ({**REASON, "channel": "online", "source": "production", "reason": "issuer_unavailable"}, False),
        ],
    ),
    (
        "a-page-mutes-the-ticket-of-the-same-slo",
        [{**BURN, "severity": "page", "channel": "online", "long": "1h", "short": "5m"}],
        [
            ({**BURN, "severity": "ticket", "channel": "online", "long": "1d", "short": "2h"}, True),
            ({**BURN, "severity": "ticket", "channel": "pos", "long": "1d", "short": "2h"}, False),
            ({**LATENCY, "severity": "ticket", "channel": "online", "long": "1d", "short": "2h"}, False),
            ({"alertname": "PaywatchSyntheticHoldsOpen", "severity": "ticket", "journey": "pos_purchase"}, False),
        ],
    ),
    (
        "an-exporter-down-mutes-what-is-computed-from-it",
        [{"alertname": "PaywatchTelemetryDown", "severity": "page", "job": "paywatch-probe"}],
        [
            ({"alertname": "PaywatchProbeNoRecentSuccess", "severity": "ticket", "exporter": "paywatch-probe"}, True),
            ({"alertname": "PaywatchAuthLogStalled", "severity": "ticket", "exporter": "paywatch-authlog"}, False),
            ({"alertname": "PaywatchChannelDown", "severity": "page", "channel": "online"}, False),
        ],
    ),
]


@pytest.fixture
async def alertmanager(tmp_path: Path) -> AsyncIterator[str]:
    feed = await AlertFeed().start()
    config = alertmanager_config(
        time_scale=PROFILES["fast"],
        incident_webhook_url=feed.url,
        pager_url=feed.pager_url,
        chat_url=feed.chat_url,
        deadman_url=feed.deadman_url,
    )
    process = await start_alertmanager(tmp_path / "alertmanager", config)
    try:
        yield process.url
    finally:
        await process.stop()
        await feed.stop()


def _posted(labels: Labels) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "labels": labels,
        "annotations": {"summary": labels["alertname"]},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=10)).isoformat(),
    }


def _key(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


async def _states(session: aiohttp.ClientSession, url: str) -> dict[tuple[tuple[str, str], ...], bool]:
    async with session.get(f"{url}/api/v2/alerts") as response:
        assert response.status == 200
        return {_key(a["labels"]): bool(a["status"]["inhibitedBy"]) for a in await response.json()}


@pytest.mark.parametrize(("sources", "targets"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_inhibition(alertmanager: str, sources: list[Labels], targets: list[tuple[Labels, bool]]) -> None:
    expected = {_key(labels): inhibited for labels, inhibited in targets}
    expected |= {_key(labels): False for labels in sources}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        body = [_posted(labels) for labels in [*sources, *(t for t, _ in targets)]]
        async with session.post(f"{alertmanager}/api/v2/alerts", json=body) as response:
            assert response.status == 200, await response.text()
        # The inhibitor learns of new sources asynchronously: poll until the state settles, with a deadline.
        deadline = time.monotonic() + 20
        states = await _states(session, alertmanager)
        while states != expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            states = await _states(session, alertmanager)
    wrong = {dict(k).get("alertname", "?") + str(dict(k)): v for k, v in states.items() if expected.get(k) != v}
    assert states == expected, f"inhibited state differs (got): {wrong}"
