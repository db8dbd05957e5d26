"""The authorization event log: one JSON line per decision, flushed as made, masked PAN only."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from paywatch.cards import find_pans
from paywatch.config import PaywatchConfig
from sandbox import RunningSandbox, start_sandbox
from tests.sandbox.fault_helpers import add_fault, online_observation, pos_observation
from tests.sandbox.helpers import PROBE_KEY, authorization_message, issue_active_card, purchase

FIELDS = {
    "ts",
    "event",
    "authorization_id",
    "channel",
    "source",
    "outcome",
    "reason",
    "response_code",
    "latency_ms",
    "amount",
    "currency",
    "merchant_id",
    "terminal_id",
    "region",
    "pan_masked",
}


def _lines(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sandbox.event_log.read_text().splitlines()]


async def test_one_line_per_decision_with_protocol_fields(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    config = sandbox.config
    assert await online_observation(http, "/v1/authorizations", purchase(card)) == "00"
    assert await online_observation(http, "/v1/authorizations", purchase(card, cvv="000", amount=1)) in ("14", "00")
    assert await pos_observation(sandbox, authorization_message(config, "000001")) == "00"
    legacy = authorization_message(config, "000002", **{"41": "L00LEGCY", "42": "M00LEGACYSTORE1"})
    assert await pos_observation(sandbox, legacy) == "57"
    balance = authorization_message(config, "000003", **{"3": "310000", "4": "0" * 12})
    assert await pos_observation(sandbox, balance) == "00"  # a balance inquiry is not an authorization

    lines = _lines(sandbox)  # read while the sandbox runs: each line is flushed as it is made
    assert len(lines) == 4 == len(sandbox.ledger.authorizations)
    assert all(set(line) == FIELDS and line["event"] == "authorization" for line in lines)
    assert [(line["channel"], line["response_code"]) for line in lines][2:] == [("pos", "00"), ("pos", "57")]
    first = lines[0]
    assert first["source"] == "synthetic" and first["region"] == "north" and first["terminal_id"] is None
    assert first["outcome"] == "approved" and first["reason"] == "approved" and first["latency_ms"] >= 0
    assert first["pan_masked"] == card["pan_masked"]
    assert lines[3]["outcome"] == "declined" and lines[3]["reason"] == "not_permitted"
    assert lines[3]["terminal_id"] == "L00LEGCY" and lines[3]["region"] == "north"


async def test_no_full_pan_in_the_log(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    card = await issue_active_card(http)
    unknown = purchase(card, pan="6229990000000009")
    for body in (purchase(card), unknown, purchase(card, expiry="0101")):
        await online_observation(http, "/v1/authorizations", body)
    await pos_observation(sandbox, authorization_message(sandbox.config, "000001"))
    text = sandbox.event_log.read_text()
    assert len(text.splitlines()) == 4
    assert find_pans(text) == []
    assert card["pan"] not in text and sandbox.config.regions[0].pos_card.pan.get_secret_value() not in text


async def test_decision_whose_answer_was_lost_is_still_logged(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    card = await issue_active_card(http)
    await add_fault(http, target="issuer", effect="reset")
    assert await online_observation(http, "/v1/authorizations", purchase(card)) == "reset"
    await add_fault(http, target="pos_host", effect="error")
    assert await pos_observation(sandbox, authorization_message(sandbox.config, "000001")) == "96"
    lines = _lines(sandbox)
    assert [(line["outcome"], line["response_code"]) for line in lines] == [("approved", "00"), ("failed", "96")]
    assert lines[1]["reason"] == "system_malfunction"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_an_unwritable_event_log_is_logged_and_counted_and_decisions_stand(
    config: PaywatchConfig, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_sandbox(config, http_port=0, iso_port=0, event_log=Path("/dev/full")) as sandbox:
        headers = {"Authorization": f"Bearer {PROBE_KEY}"}
        async with aiohttp.ClientSession(base_url=sandbox.http_url, headers=headers) as http:
            card = await issue_active_card(http)
            for _ in range(2):
                assert await online_observation(http, "/v1/authorizations", purchase(card)) == "00"
        assert await pos_observation(sandbox, authorization_message(config, "000001")) == "00"
        assert sandbox.engine.events.write_errors == 3
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["/dev/full: authorization events are not being written: No space left on device"]
