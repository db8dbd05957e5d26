"""The pending-reversals file: atomic writes (mode 0600), one owner per file, orphans adopted.

Two probe processes may share a state directory (a continuous agent and a ``--once`` run). Each
holds an exclusive ``flock`` on the file it writes: the first gets ``pending-reversals.json``,
others ``pending-reversals.<pid>.json``. A file whose lock nobody holds belongs to a process that
ended; whoever claims it next takes its records over, so no pending reversal is forgotten.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import IO

__all__ = ["StateFile"]

log = logging.getLogger(__name__)


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open, exclusively locked handle on ``path``'s lock file, or None if another process holds it."""
    handle = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - kept open as the lock
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class StateFile:
    """The file one process persists its pending reversals to."""

    def __init__(self, primary: Path) -> None:
        self.primary = primary
        self.path = primary
        self._lock: IO[bytes] | None = None

    def claim(self) -> None:
        """Take the primary file, or a file of our own when another live process has it."""
        self.primary.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _try_lock(self.primary)
        if self._lock is None:
            self.path = self.primary.with_name(f"{self.primary.stem}.{os.getpid()}{self.primary.suffix}")
            self._lock = _try_lock(self.path)
            log.info("%s is in use by another probe process; writing %s", self.primary, self.path)

    def release(self) -> None:
        """Give up our file (its records stay in it, for whoever claims it next)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def orphans(self) -> list[tuple[Path, IO[bytes]]]:
        """Other files of this family whose owner ended, each locked for us until ``adopted``."""
        out = []
        for candidate in sorted(self.primary.parent.glob(f"{self.primary.stem}*{self.primary.suffix}")):
            if candidate == self.path:
                continue
            lock = _try_lock(candidate)
            if lock is not None:
                out.append((candidate, lock))
        return out

    @staticmethod
    def adopted(path: Path, lock: IO[bytes]) -> None:
        """The records of ``path`` now live in our file: remove it and its lock."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + ".lock").unlink()
        lock.close()

    def read(self, path: Path | None = None) -> str | None:
        try:
            return (path or self.path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def move_aside(self, path: Path | None = None) -> Path:
        """Keep a damaged file for a person to look at, out of the way of the next write."""
        source = path or self.path
        damaged = source.with_suffix(f".damaged-{int(time.time())}")
        os.replace(source, damaged)
        return damaged

    def write(self, data: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            # No fsync: the rename makes the write atomic against a crash of this process, which is
            # what the file is for; an fsync per change would stall the event loop on a busy disk.
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
