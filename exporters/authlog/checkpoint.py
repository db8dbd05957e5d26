"""The checkpoint: file offsets and the totals they produced, committed together in one atomic write.

Guarantee: the file on disk is always one whole checkpoint (written to a temporary file, fsynced, then
renamed over the old one). Totals and offsets in it agree, so a restart after ``kill -9`` at any
instant resumes from offsets whose lines are counted exactly once: lines read after the last commit
were only counted in memory, and are read again. Published metrics only ever show committed totals,
so a counter never goes backwards across a restart.

Errors: ``CheckpointError`` (a file that exists but cannot be used) is raised at start-up only;
``save`` lets ``OSError`` through to the exporter, which logs and counts it and keeps running.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from exporters.authlog.aggregate import Totals

__all__ = ["Checkpoint", "CheckpointError", "CheckpointStore", "FilePosition"]

log = logging.getLogger(__name__)

VERSION = 1


class CheckpointError(Exception):
    """A checkpoint file exists but cannot be used (corrupt or from another layout); a start-up error."""


@dataclass(frozen=True, slots=True)
class FilePosition:
    """Where reading stopped in one file, identified by device, inode and a fingerprint of its head."""

    path: str
    """The configured path this file was (or still is) read as."""
    device: int
    inode: int
    head_length: int
    head_digest: str
    offset: int
    current: bool
    """True for the file at the configured path, False for a rotated file still being drained."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "device": self.device,
            "inode": self.inode,
            "head_length": self.head_length,
            "head_digest": self.head_digest,
            "offset": self.offset,
            "current": self.current,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FilePosition:
        return cls(
            str(data["path"]),
            int(data["device"]),
            int(data["inode"]),
            int(data["head_length"]),
            str(data["head_digest"]),
            int(data["offset"]),
            bool(data["current"]),
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    files: tuple[FilePosition, ...]
    totals: Totals


class CheckpointStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> Checkpoint | None:
        """The last committed checkpoint, or None when there is none yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"{self.path}: cannot read: {exc.strerror}") from exc
        try:
            data = orjson.loads(raw)
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
            files = tuple(FilePosition.from_json(f) for f in data["files"])
            return Checkpoint(files, Totals.from_json(data["totals"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{self.path}: unusable checkpoint: {exc}") from exc

    def save(self, files: list[FilePosition], totals: Totals) -> None:
        """Commit offsets and totals together; an error is raised to the caller, which counts it."""
        payload = orjson.dumps(
            {"version": VERSION, "files": [f.to_json() for f in files], "totals": totals.to_json()},
            option=orjson.OPT_NON_STR_KEYS,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        # The rename itself must reach the disk too, or a power cut could bring the old file back.
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
