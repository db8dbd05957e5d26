"""Following logs in-process: rotation, truncation, partial and oversized lines, checkpoint resume."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exporters.authlog import AuthlogExporter, CheckpointError, CheckpointStore, FilePosition

from .helpers import log_line


def _append(path: Path, count: int, start: int = 0) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(log_line(start + i) for i in range(count))


def _ok(exporter: AuthlogExporter) -> int:
    return exporter.totals.lines["ok"]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "auth.log"


@pytest.fixture(autouse=True)
def _logs_dir(log: Path) -> None:
    log.parent.mkdir()


def test_follows_appends(log: Path) -> None:
    _append(log, 10)
    exporter = AuthlogExporter([log])
    exporter.poll()
    _append(log, 5)
    exporter.poll()
    exporter.poll()
    assert _ok(exporter) == 15


def test_rename_and_create_rotation_drains_the_old_file(log: Path) -> None:
    _append(log, 10)
    exporter = AuthlogExporter([log], grace_polls=2)
    exporter.poll()
    log.rename(log.with_name("auth.log.1"))
    _append(log.with_name("auth.log.1"), 3)  # the writer has not reopened yet
    _append(log, 7)
    for _ in range(4):
        exporter.poll()
    _append(log, 2)
    exporter.poll()
    assert (_ok(exporter), exporter.totals.rotations["rotation"]) == (22, 1)


def test_rotation_with_old_file_deleted_still_counts_what_was_open(log: Path) -> None:
    _append(log, 4)
    exporter = AuthlogExporter([log])
    exporter.poll()
    _append(log, 6)
    rotated = log.with_name("auth.log.1")
    log.rename(rotated)
    _append(log, 1)
    rotated.unlink()  # still open: its unread lines are drained from the descriptor
    exporter.read_to_end()
    assert _ok(exporter) == 11


@pytest.mark.parametrize("regrow", [0, 3, 40], ids=["truncated-empty", "regrown-smaller", "regrown-larger"])
def test_truncation_reads_again_from_start(log: Path, regrow: int) -> None:
    _append(log, 20)
    exporter = AuthlogExporter([log])
    exporter.poll()
    with log.open("w", encoding="utf-8"):
        pass
    _append(log, regrow, start=1000)  # larger than before: only the changed head shows the truncation
    exporter.poll()
    assert (_ok(exporter), exporter.totals.rotations["truncation"]) == (20 + regrow, 1)


def test_partial_line_is_counted_once_when_complete(log: Path) -> None:
    line = log_line()
    log.write_text(line + line[:50], encoding="utf-8")
    exporter = AuthlogExporter([log])
    exporter.poll()
    assert _ok(exporter) == 1
    with log.open("a", encoding="utf-8") as handle:
        handle.write(line[50:])
    exporter.poll()
    assert (_ok(exporter), exporter.totals.lines["malformed"]) == (2, 0)


def test_oversized_line_is_malformed_and_skipped(log: Path) -> None:
    with log.open("w", encoding="utf-8") as handle:
        handle.write(log_line())
        handle.write('{"junk": "' + "x" * (3 << 20) + '"}\n')
        handle.write(log_line())
    exporter = AuthlogExporter([log])
    exporter.read_to_end()
    assert exporter.totals.lines == {"ok": 2, "malformed": 1, "ignored": 0}


def test_missing_file_is_waited_for(log: Path) -> None:
    exporter = AuthlogExporter([log])
    assert exporter.poll() == 0
    _append(log, 3)
    exporter.poll()
    assert _ok(exporter) == 3


def test_checkpoint_resume_neither_loses_nor_doubles(log: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "state" / "authlog.json"
    _append(log, 10)
    first = AuthlogExporter([log], checkpoint=checkpoint)
    first.read_to_end()
    _append(log, 5)
    first.poll()  # read but never committed: as if killed here
    first.close()
    _append(log, 2)
    second = AuthlogExporter([log], checkpoint=checkpoint)
    assert second.published.lines["ok"] == 10
    assert second.read_to_end().lines["ok"] == 17


def test_rotation_while_stopped_drains_the_renamed_file(log: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "authlog.json"
    _append(log, 10)
    first = AuthlogExporter([log], checkpoint=checkpoint)
    first.read_to_end()
    first.close()
    _append(log, 4)
    log.rename(log.with_name("auth.log.1"))
    _append(log, 6)
    second = AuthlogExporter([log], checkpoint=checkpoint)
    totals = second.read_to_end()
    assert totals.lines["ok"] == 20
    assert sum(totals.authorizations.values()) == 20


def test_reused_inode_with_other_content_is_read_from_start(log: Path, tmp_path: Path) -> None:
    _append(log, 8)
    st = os.stat(log)
    store = CheckpointStore(tmp_path / "authlog.json")
    from exporters.authlog import Totals

    stale = FilePosition(str(log), st.st_dev, st.st_ino, 256, "0" * 32, st.st_size, True)
    store.save([stale], Totals())
    exporter = AuthlogExporter([log], checkpoint=store.path)
    assert exporter.read_to_end().lines["ok"] == 8


@pytest.mark.parametrize(
    "content",
    [pytest.param(b"{not json", id="corrupt"), pytest.param(b'{"version": 99}', id="other-version")],
)
def test_unusable_checkpoint_is_a_startup_error(log: Path, tmp_path: Path, content: bytes) -> None:
    checkpoint = tmp_path / "authlog.json"
    checkpoint.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"authlog\.json"):
        AuthlogExporter([log], checkpoint=checkpoint)


def test_failed_checkpoint_write_is_counted_and_not_published(log: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "authlog.json"
    _append(log, 3)
    exporter = AuthlogExporter([log], checkpoint=checkpoint)
    checkpoint.mkdir()  # the rename onto it now fails
    exporter.poll()
    assert exporter.commit() is False
    assert (exporter.commit_errors, exporter.published.lines["ok"]) == (1, 0)


def test_unreadable_path_is_counted_and_others_go_on(log: Path, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    _append(log, 4)
    exporter = AuthlogExporter([directory, log])
    exporter.read_to_end()
    assert _ok(exporter) == 4
    assert exporter.read_errors > 0
