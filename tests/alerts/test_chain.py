"""End to end on the fast profile: sandbox with organic traffic, probes, the authlog exporter, a real
Prometheus and Alertmanager, and the stack's alert feed. Two stacks run side by side for the module: on
one, a clean run from the very start pages nobody; on the other, once it is warm, two faults on disjoint
channels are injected through the sandbox's admin API and each reaches the webhook and the pager as its
page, with its runbook. Every runbook query and alert expression then runs against a live Prometheus.

The seconds from fault to webhook are printed and written to ``chain-timings.json`` in the module's tmp
dir, beside the fast-profile floor: probe interval 2 s + scrape 1 s + evaluation 1 s + ``for``
(PaywatchChannelDown 4 s, burn-rate page 8 s) + group_wait 2 s. The time the rate windows take to cross
their thresholds comes on top, and the low-traffic guard's 360 events in the 1h (fast: 4m) window.

Every wait has a deadline and polls; none assumes the machine is fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml

from alerts import alert_rules, load_spec, rule_files
from paywatch.alertfeed import AlertFeed, Notification
from paywatch.config import PROFILES, default_config
from tests.alerts.promql_names import metric_names
from tests.alerts.runbook_queries import RUNBOOK_QUERIES

stack_module = pytest.importorskip("paywatch.stack")

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
        reason="prometheus and prometheus-alertmanager needed (make setup installs them)",
    ),
]

TRAFFIC_RATE = 20.0
"""Organic authorizations per second: about 10/s per channel, so the fast profile's 20 s short window holds
~200 and its 4 m long window ~2400, well above the low-traffic guard (30 and 360 events)."""

WARM_UP_TIMEOUT_S = 60.0
CLEAN_RUN_S = 40.0
"""Observed after warm-up, so the clean run covers the start-up, where false pages come from, and lasts as
long as a fault run (warm-up plus the ~30 s the slower fault takes to page)."""
DETECTION_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Fault:
    body: dict[str, Any]
    alertname: str
    labels: dict[str, str]


FAULTS: dict[str, Fault] = {
    "pos-outage": Fault({"target": "pos_host", "effect": "error"}, "PaywatchChannelDown", {"channel": "pos"}),
    "issuer-unavailable-5pct-online": Fault(
        {"target": "issuer", "effect": "decline", "response_code": "91", "probability": 0.05, "channel": "online"},
        "PaywatchAvailabilityBudgetBurn",
        {"channel": "online", "source": "production", "severity": "page"},
    ),
}
"""On disjoint channels, so both can be injected at once and each alert is timed from the same moment."""


@dataclass
class Leg:
    """One running stack and the feed its Alertmanager posts to."""

    stack: Any
    feed: AlertFeed
    started: float = field(default_factory=time.time)


@dataclass
class Chain:
    clean: Leg
    faulted: Leg
    session: aiohttp.ClientSession
    tmp_path: Path
    injection: asyncio.Task[float] | None = None


def _floor_s(alertname: str) -> float:
    """Probe interval + scrape + evaluation + ``for`` + group_wait on the fast profile, from the same data
    the stack runs with (window-fill time comes on top)."""
    spec, scale = load_spec(), PROFILES["fast"]
    for_s = {
        "PaywatchChannelDown": spec.thresholds.channel_down.for_,
        "PaywatchAvailabilityBudgetBurn": min(w.for_ for w in spec.burn_windows if w.severity == "page"),
    }[alertname]
    probe_interval = min(j.interval_s for j in default_config().journeys)
    scrape = evaluation = 15.0
    return round(scale * (probe_interval + scrape + evaluation + for_s + spec.alertmanager.group_wait), 2)


async def _query(session: aiohttp.ClientSession, leg: Leg, expr: str) -> dict[str, Any]:
    async with session.get(f"{leg.stack.prometheus_url}/api/v1/query", params={"query": expr}) as response:
        body: dict[str, Any] = await response.json(content_type=None)
    return body


async def _results(session: aiohttp.ClientSession, leg: Leg, expr: str) -> list[dict[str, Any]]:
    return list((await _query(session, leg, expr)).get("data", {}).get("result", []))


async def _poll(what: str, timeout_s: float, ready: Callable[[], Awaitable[bool]]) -> None:
    """Await ``ready()`` once a second until it is truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not await ready():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached after {timeout_s:g} s")
        await asyncio.sleep(1.0)


async def _warm(session: aiohttp.ClientSession, leg: Leg) -> bool:
    """Both scrape jobs up, production traffic on both channels, every journey recorded in every region,
    and the Watchdog through to the dead man's switch."""
    config = default_config()
    pairs = len(config.regions) * len(config.journeys)
    checks = (
        'count(up{job=~"paywatch-probe|paywatch-authlog"} == 1) == 2',
        'count(paywatch:authorizations:rate5m{source="production",channel=~"online|pos"} > 0) >= 2',
        f"count(paywatch:probe_success:ratio_rate5m) >= {pairs}",
    )
    for expr in checks:
        if not await _results(session, leg, expr):
            return False
    return leg.feed.deadman_pings > 0


def _pages(feed: AlertFeed) -> list[dict[str, Any]]:
    return [
        alert
        for n in feed.notifications
        if n.status == "firing"
        for alert in n.alerts
        if alert.get("labels", {}).get("severity") == "page"
    ]


def _record(chain: Chain, name: str, entry: dict[str, Any]) -> None:
    path = chain.tmp_path / "chain-timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = entry
    path.write_text(json.dumps(data, indent=2))
    print(f"\n{name}: {json.dumps(entry)}")


async def _inject_when_warm(session: aiohttp.ClientSession, leg: Leg) -> float:
    """Every fault injected at once into a warm stack that has paged nobody so far; the time of injection."""
    await _poll("a warm stack to inject into", WARM_UP_TIMEOUT_S, lambda: _warm(session, leg))
    assert not _pages(leg.feed), f"paged before the faults: {_pages(leg.feed)}"
    for fault in FAULTS.values():
        async with session.post(f"{leg.stack.sandbox_url}/admin/faults", json=fault.body) as response:
            assert response.status == 201, await response.text()
    return time.time()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chain]:
    tmp_path = tmp_path_factory.mktemp("chain")
    async with contextlib.AsyncExitStack() as exits:
        legs = []
        for name in ("clean", "faulted"):
            stack = await exits.enter_async_context(
                stack_module.run_stack(
                    default_config(), workdir=tmp_path / name, profile="fast", traffic_rate=TRAFFIC_RATE
                )
            )
            assert stack.alert_feed is not None
            legs.append(Leg(stack=stack, feed=stack.alert_feed))
        session = await exits.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)))
        chain = Chain(clean=legs[0], faulted=legs[1], session=session, tmp_path=tmp_path)
        # The faulted stack goes its own way while the clean run is observed on the other one.
        chain.injection = asyncio.create_task(_inject_when_warm(session, chain.faulted))
        try:
            yield chain
        finally:
            chain.injection.cancel()
            await asyncio.gather(chain.injection, return_exceptions=True)


async def test_clean_run_from_start_pages_nobody(chain: Chain) -> None:
    leg, session = chain.clean, chain.session
    await _poll("a warm stack", WARM_UP_TIMEOUT_S, lambda: _warm(session, leg))
    await asyncio.sleep(CLEAN_RUN_S)
    # A page still inside group_wait has not reached the feed yet: Prometheus's own view closes that gap.
    firing_pages = await _results(session, leg, 'ALERTS{alertstate="firing",severity="page"}')
    names = sorted({a["labels"]["alertname"] for a in _pages(leg.feed)})
    _record(chain, "clean", {"observed_s": round(time.time() - leg.started, 1), "pages": names})
    assert names == [], f"a clean run paged: {_pages(leg.feed)}"
    assert firing_pages == [], f"pages firing in Prometheus: {firing_pages}"
    assert leg.feed.pager_events == []
    assert leg.feed.deadman_pings > 1, "the Watchdog should reach the dead man's switch over and over"


def _matching(feed: AlertFeed, fault: Fault) -> tuple[Notification, dict[str, Any]] | None:
    for notification in feed.firing(fault.alertname):
        for alert in notification.alerts:
            labels = alert.get("labels", {})
            if labels.get("alertname") == fault.alertname and fault.labels.items() <= labels.items():
                return notification, alert
    return None


@pytest.mark.parametrize("fault_name", list(FAULTS))
async def test_fault_reaches_the_webhook_and_pager_as_a_page_with_its_runbook(fault_name: str, chain: Chain) -> None:
    assert chain.injection is not None
    injected = await chain.injection
    fault, feed = FAULTS[fault_name], chain.faulted.feed

    async def arrived() -> bool:
        return _matching(feed, fault) is not None

    await _poll(f"{fault.alertname} {fault.labels} at the webhook", DETECTION_TIMEOUT_S, arrived)
    found = _matching(feed, fault)
    assert found is not None
    notification, alert = found
    assert alert["labels"]["severity"] == "page"
    assert notification.receiver == "incident-service"
    assert alert["annotations"]["runbook_url"].endswith(f"/runbooks/{fault.alertname}.md")
    assert alert["annotations"]["dashboard_url"].split("/d/")[1].startswith("paywatch-")

    async def paged() -> bool:
        return any(fault.alertname in e["payload"]["summary"] for e in feed.pager_events if "payload" in e)

    await _poll(f"{fault.alertname} at the pager", DETECTION_TIMEOUT_S, paged)
    _record(
        chain,
        fault_name,
        {
            "alert": fault.alertname,
            "labels": alert["labels"],
            "fault_to_webhook_s": round(notification.received_at - injected, 2),
            "floor_s": _floor_s(fault.alertname),
            "warm_after_s": round(injected - chain.faulted.started, 1),
        },
    )


async def test_a_ticket_reaches_chat_rendered_with_its_runbook(chain: Chain) -> None:
    """The 5% issuer fault is also a reason spike on online: a ticket, sent through the chat templates."""
    assert chain.injection is not None
    await chain.injection
    runbook = "/runbooks/PaywatchFailureReasonSpike.md"

    def rendered() -> list[dict[str, Any]]:
        return [
            attachment
            for message in chain.faulted.feed.chat_messages
            for attachment in message.get("attachments", [])
            if "PaywatchFailureReasonSpike" in attachment.get("title", "")
        ]

    async def arrived() -> bool:
        return bool(rendered())

    await _poll("PaywatchFailureReasonSpike in chat", DETECTION_TIMEOUT_S, arrived)
    attachment = rendered()[0]
    assert attachment["title_link"].endswith(runbook)
    assert "issuer_unavailable" in attachment["text"] and runbook in attachment["text"]
    assert "channel online" in attachment["text"]


def _live_queries() -> list[tuple[str, str]]:
    fast = [(f"alert:{r['alert']}-{r['labels']['severity']}", str(r["expr"])) for r in alert_rules(PROFILES["fast"])]
    numbered = [(f"{where}-{i}", expr) for i, (where, expr) in enumerate(fast)]
    return [*((f"runbook:{where}", expr) for where, expr in RUNBOOK_QUERIES), *numbered]


@pytest.mark.parametrize(("where", "expr"), _live_queries(), ids=[w for w, _ in _live_queries()])
async def test_query_runs_on_the_live_prometheus(where: str, expr: str, chain: Chain) -> None:
    body = await _query(chain.session, chain.faulted, expr)
    assert body.get("status") == "success", f"{where}: {body.get('errorType')}: {body.get('error')}"


async def test_runbook_metrics_exist_on_the_live_prometheus(chain: Chain) -> None:
    """Every raw metric a runbook reads is one the faulted stack actually exposes (recorded names aside)."""
    read = set().union(*(metric_names(expr) for _, expr in RUNBOOK_QUERIES))
    recorded = {str(r["record"]) for g in _rule_groups() for r in g["rules"] if "record" in r}
    url = f"{chain.faulted.stack.prometheus_url}/api/v1/label/__name__/values"
    async with chain.session.get(url) as response:
        live = set((await response.json())["data"])
    missing = read - recorded - live - {"ALERTS", "ALERTS_FOR_STATE"}
    assert not missing, f"runbooks read metrics no stack exposes: {sorted(missing)}"


def _rule_groups() -> list[dict[str, Any]]:
    return [g for text in rule_files(PROFILES["fast"]).values() for g in yaml.safe_load(text)["groups"]]
