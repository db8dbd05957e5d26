"""The reversal guarantee: an authorization whose answer is lost is reversed once the fault
clears, also by a new process resuming the persisted state; the sandbox ends with no synthetic hold."""

from __future__ import annotations

import asyncio
import errno
import stat
from typing import Any

import pytest

from paywatch.cards import find_pans
from paywatch.config import JourneySpec, PaywatchConfig
from probes import JourneyOutcome, JourneyResult, Reverser, run_once, run_probes
from probes.state import StateFile
from tests.probes.conftest import Admin

ONLINE, POS = "virtual_card_online", "pos_purchase"
LOST_ANSWERS = [
    # id, fault, journey, failed step, reason
    ("http-timeout", {"target": "issuer", "effect": "timeout"}, ONLINE, "authorize_online", "timeout"),
    ("http-reset", {"target": "issuer", "effect": "reset"}, ONLINE, "authorize_online", "connection_reset"),
    ("http-malformed", {"target": "risk", "effect": "malformed"}, ONLINE, "authorize_online", "interface_error"),
    ("iso-timeout", {"target": "risk", "effect": "timeout"}, POS, "authorize_pos", "timeout"),
    ("iso-reset", {"target": "risk", "effect": "reset", "channel": "pos"}, POS, "authorize_pos", "connection_reset"),
    ("iso-malformed", {"target": "risk", "effect": "malformed"}, POS, "authorize_pos", "interface_error"),
]


@pytest.mark.parametrize(
    ("fault", "journey", "step", "reason"), [c[1:] for c in LOST_ANSWERS], ids=[c[0] for c in LOST_ANSWERS]
)
async def test_lost_answer_is_reversed_after_restart(
    config: PaywatchConfig, admin: Admin, fault: dict[str, Any], journey: str, step: str, reason: str
) -> None:
    await admin.inject(**fault, region="north")
    first = Reverser(config)
    [result] = await run_once(config, reverser=first, regions=["north"], journeys=[journey], drain_timeout_s=0)
    assert (result.failed_step.step if result.failed_step else None, result.reason.value) == (step, reason)
    # The answer was lost after the decision: the hold is real, and only a reversal releases it.
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 1
    assert len(first.pending()) == 1
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600

    await admin.clear()
    second = Reverser(config)  # a restarted probe process
    assert second.load() == len(first.pending())
    assert await second.drain(timeout_s=10) == 0
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
    assert find_pans(second.path.read_text()) == []


async def test_failed_reversal_is_retried_until_it_succeeds(config: PaywatchConfig, admin: Admin) -> None:
    await admin.inject(target="risk", effect="reset", channel="pos", region="west")
    reverser = Reverser(config)
    await run_once(config, reverser=reverser, regions=["west"], journeys=["pos_purchase"], drain_timeout_s=0)
    await admin.clear()
    await admin.inject(target="pos_host", effect="error", region="west")  # every 0400 answers 96
    assert await reverser.drain(timeout_s=0.5) == 1
    [record] = reverser.pending()
    assert record.attempts >= 2 and record.last_reason == "system_malfunction"
    await admin.clear()
    assert await reverser.drain(timeout_s=5) == 0
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0


async def test_pos_record_on_disk_holds_no_card_number(config: PaywatchConfig, admin: Admin) -> None:
    await admin.inject(target="risk", effect="reset", channel="pos", region="west")
    reverser = Reverser(config)
    await run_once(config, reverser=reverser, regions=["west"], journeys=["pos_purchase"], drain_timeout_s=0)
    [record] = reverser.pending()
    terminal = config.region("west").terminals[0].id
    assert (record.channel, record.terminal_id, record.replay_body) == ("pos", terminal, None)
    assert find_pans(reverser.path.read_text()) == []


async def test_online_record_drops_card_data_once_the_authorization_id_is_known(config: PaywatchConfig) -> None:
    reverser = Reverser(config)
    record_id = reverser.track_online("virtual_card_online", "north", "key-1", {"pan": "0", "amount": 1})
    reverser.learned(record_id, "A000")
    assert reverser.pending()[0].replay_body is None
    assert '"pan"' not in reverser.path.read_text()


async def test_damaged_state_file_is_moved_aside(config: PaywatchConfig) -> None:
    path = config.state_dir() / "pending-reversals.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    reverser = Reverser(config)
    assert reverser.load() == 0
    assert not path.exists()
    assert len(list(path.parent.glob("pending-reversals.damaged-*"))) == 1


class _Collect:
    def __init__(self) -> None:
        self.results: list[JourneyResult] = []
        self.holds: dict[tuple[str, str], int] = {}
        self.failed = asyncio.Event()

    def record_journey(self, result: JourneyResult) -> None:
        self.results.append(result)
        if result.outcome is JourneyOutcome.FAILURE:
            self.failed.set()

    def set_open_holds(self, journey: str, region: str, count: int) -> None:
        self.holds[(journey, region)] = count


async def test_shutdown_attempts_pending_reversals_first(config: PaywatchConfig, admin: Admin) -> None:
    await admin.inject(target="risk", effect="timeout", region="south")
    sink = _Collect()
    stop = asyncio.Event()
    reverser = Reverser(config, [sink])
    task = asyncio.create_task(
        run_probes(config, [sink], stop_event=stop, regions=["south"], journeys=["pos_purchase"], reverser=reverser)
    )
    await asyncio.wait_for(sink.failed.wait(), timeout=10)
    assert sink.holds[("pos_purchase", "south")] >= 1
    await admin.clear()
    stop.set()
    await asyncio.wait_for(task, timeout=15)
    assert reverser.pending() == []
    assert sink.holds[("pos_purchase", "south")] == 0
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0


def _pos_request(terminal: str) -> dict[str, str]:
    return {"41": terminal, "42": "M" * 15, "4": "000000000100", "49": "156", "11": "000123", "7": "1201213000"}


async def test_a_second_process_writes_its_own_file_and_its_leftovers_are_adopted(config: PaywatchConfig) -> None:
    agent = Reverser(config)
    agent.load()
    once = Reverser(config)  # e.g. "paywatch probe --once" next to a running agent
    once.load()
    assert once.path != agent.path
    once.track_pos("pos_purchase", "north", _pos_request("TNO00001"), settle_s=0)
    once.close()  # the --once process ends with its reversal still pending
    assert once.path.exists()

    assert agent.adopt_orphans() == 1
    assert [r.terminal_id for r in agent.pending()] == ["TNO00001"]
    assert not once.path.exists()
    restarted = Reverser(config)
    agent.close()
    assert restarted.load() == 1


async def test_a_record_that_cannot_be_reversed_stays_pending_without_stopping_the_others(
    config: PaywatchConfig, admin: Admin
) -> None:
    await admin.inject(target="risk", effect="reset", channel="pos", region="south")
    reverser = Reverser(config)
    await run_once(config, reverser=reverser, regions=["south"], journeys=["pos_purchase"], drain_timeout_s=0)
    await admin.clear()
    orphan = reverser.track_pos("pos_purchase", "atlantis", _pos_request("TAT00001"), settle_s=0)
    reverser.release([orphan])
    assert await reverser.drain(timeout_s=1) == 1
    [left] = reverser.pending()
    assert (left.region, left.last_reason) == ("atlantis", "other")
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0


async def test_a_state_file_that_cannot_be_written_stops_neither_journeys_nor_reversals(
    config: PaywatchConfig, admin: Admin, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def disk_full(self: StateFile, data: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    await admin.inject(target="risk", effect="reset", channel="pos", region="west")
    reverser = Reverser(config)
    with monkeypatch.context() as patch:
        patch.setattr(StateFile, "write", disk_full)
        [lost] = await run_once(config, reverser=reverser, regions=["west"], journeys=[POS], drain_timeout_s=0)
        assert (lost.failed_step.step if lost.failed_step else None, lost.reason.value) == (
            "authorize_pos",
            "connection_reset",
        )
        await admin.clear()
        [clean] = await run_once(config, reverser=reverser, regions=["west"], journeys=[POS])
        assert clean.outcome is JourneyOutcome.SUCCESS
    assert reverser.pending() == []
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
    assert sum("cannot write" in r.getMessage() for r in caplog.records) == 1  # once per outage


async def test_a_step_that_raises_after_an_approval_still_gets_the_hold_reversed(
    config: PaywatchConfig, admin: Admin
) -> None:
    spec = JourneySpec(name="buggy", module="tests.probes.user_journey:authorize_then_break", regions=["north"])
    config = config.model_copy(update={"journeys": [spec]})
    reverser = Reverser(config)
    [result] = await run_once(config, reverser=reverser)
    assert [(s.step, s.reason.value) for s in result.steps] == [("authorize_pos", "approved"), ("broken", "other")]
    assert reverser.pending() == []
    assert (await admin.ledger())["open_holds_by_source"]["synthetic"] == 0
