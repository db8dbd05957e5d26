"""Following one log path across rename-and-create rotation and truncation, by inode and offset.

A rotated file stays open and is drained to its end before it is let go; a file that shrank, or
whose first bytes changed, was truncated or rewritten and is read again from the start.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exporters.authlog.checkpoint import FilePosition

__all__ = ["FileTailer"]

log = logging.getLogger(__name__)

HEAD = 256
"""Bytes of a file's head that identify it along with its inode (inodes are reused)."""
CHUNK = 1 << 20
OVERSIZED_LINE = b"\xff"
"""Stands in for a line longer than ``CHUNK``: not JSON, so the parser counts it malformed."""


def _digest(head: bytes) -> str:
    return hashlib.blake2b(head, digest_size=16).hexdigest()


@dataclass
class _Open:
    fd: int
    device: int
    inode: int
    head: bytes
    offset: int
    current: bool
    idle_polls: int = 0


class FileTailer:
    """Reads complete lines of ``path`` and of its rotated predecessors, never a line twice."""

    def __init__(
        self,
        path: Path | str,
        positions: list[FilePosition] | None = None,
        *,
        on_rotation: Callable[[str], None] | None = None,
        grace_polls: int = 8,
    ) -> None:
        self.path = Path(path)
        self._on_rotation = on_rotation or (lambda kind: None)
        self.grace_polls = grace_polls
        self._files: list[_Open] = []
        for position in positions or []:
            self._restore(position)

    # -- start-up ---------------------------------------------------------------------------------

    def _candidates(self) -> list[Path]:
        try:
            siblings = [p for p in self.path.parent.iterdir() if p.name.startswith(self.path.name)]
        except OSError:
            siblings = []
        return [self.path, *sorted(p for p in siblings if p != self.path)]

    def _restore(self, position: FilePosition) -> None:
        for candidate in self._candidates():
            try:
                st = candidate.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) != (position.device, position.inode):
                continue
            try:
                fd = os.open(candidate, os.O_RDONLY)
            except OSError:
                continue
            head = os.pread(fd, position.head_length, 0)
            if len(head) != position.head_length or _digest(head) != position.head_digest:
                os.close(fd)  # same inode, other content: a new file that reused the inode
                continue
            current = candidate == self.path
            if position.current and not current:
                self._on_rotation("rotation")  # rotated while we were not running
            self._files.append(_Open(fd, st.st_dev, st.st_ino, head, position.offset, current))
            return
        log.warning(
            "%s: a file read before (inode %d) is gone; lines after its checkpoint are lost", self.path, position.inode
        )

    # -- reading ----------------------------------------------------------------------------------

    def _current(self) -> _Open | None:
        return next((f for f in self._files if f.current), None)

    def _follow_path(self) -> None:
        try:
            st = self.path.stat()
        except OSError:
            return  # renamed away and not re-created yet: keep draining what we have
        current = self._current()
        if current is not None and (current.device, current.inode) == (st.st_dev, st.st_ino):
            return
        if any((f.device, f.inode) == (st.st_dev, st.st_ino) for f in self._files):
            return  # a drained file moved back into place; never read it twice
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        opened = os.fstat(fd)
        if current is not None:
            current.current = False
            self._on_rotation("rotation")
        self._files.append(_Open(fd, opened.st_dev, opened.st_ino, b"", 0, True))

    def _check_truncation(self, f: _Open) -> None:
        size = os.fstat(f.fd).st_size
        head = os.pread(f.fd, HEAD, 0) if f.head or size else b""
        if size < f.offset or not head.startswith(f.head):
            log.info("%s: truncated or rewritten; reading it again from the start", self.path)
            f.offset = 0
            self._on_rotation("truncation")
        f.head = head

    def read(self, sink: Callable[[bytes], None], *, final: bool = False, budget: int = 64 * CHUNK) -> int:
        """Hand complete lines to ``sink`` in chunks; returns the bytes consumed (at most ``budget``,
        roughly). ``final`` drains rotated files without waiting for a writer that may lag."""
        self._follow_path()
        consumed = 0
        for f in list(self._files):
            if f.current:
                self._check_truncation(f)
            got, at_end = self._read_file(f, sink, budget - consumed)
            consumed += got
            if not f.current and at_end:
                f.idle_polls = 0 if got else f.idle_polls + 1
                if final or f.idle_polls >= self.grace_polls:
                    self._finish(f, sink)
            if consumed >= budget:
                break
        return consumed

    def _read_file(self, f: _Open, sink: Callable[[bytes], None], budget: int) -> tuple[int, bool]:
        """Returns (bytes consumed, whether the end of the file was reached)."""
        consumed, at_end = 0, False
        while consumed < budget:
            data = os.pread(f.fd, CHUNK, f.offset)
            end = data.rfind(b"\n")
            if end < 0:
                skipped = self._skip_oversized(f) if len(data) == CHUNK else 0
                if skipped:
                    sink(OVERSIZED_LINE)
                    consumed += skipped
                    continue
                at_end = True  # nothing, or a line still being written
                break
            sink(data[: end + 1])
            f.offset += end + 1
            consumed += end + 1
            if len(data) < CHUNK:
                at_end = end + 1 == len(data)
                if not at_end:
                    continue  # the tail is a partial line: one more pread sees it and stops
                break
        if len(f.head) < HEAD:
            f.head = os.pread(f.fd, HEAD, 0)
        return consumed, at_end

    @staticmethod
    def _skip_oversized(f: _Open) -> int:
        """Moves past a line longer than ``CHUNK``; returns the bytes skipped, 0 while it is unfinished."""
        offset = f.offset + CHUNK
        while True:
            data = os.pread(f.fd, CHUNK, offset)
            end = data.find(b"\n")
            if end >= 0:
                skipped = offset + end + 1 - f.offset
                f.offset += skipped
                return skipped
            if len(data) < CHUNK:
                return 0
            offset += len(data)

    def _finish(self, f: _Open, sink: Callable[[bytes], None]) -> None:
        """A rotated file is complete: its last line may lack a newline, and still counts."""
        rest = os.pread(f.fd, CHUNK, f.offset)
        if rest:
            sink(rest if len(rest) < CHUNK else OVERSIZED_LINE)
        os.close(f.fd)
        self._files.remove(f)

    # -- state ------------------------------------------------------------------------------------

    def positions(self) -> list[FilePosition]:
        return [
            FilePosition(str(self.path), f.device, f.inode, len(f.head), _digest(f.head), f.offset, f.current)
            for f in self._files
        ]

    def close(self) -> None:
        for f in self._files:
            os.close(f.fd)
        self._files.clear()
