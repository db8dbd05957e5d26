"""Running promtool and amtool from tests: skipped with the install hint when a binary is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["run_tool"]


def run_tool(name: str, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which(name)
    if binary is None:
        pytest.skip(f"{name} not on PATH (make setup installs it from the OS packages)")
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd, check=False)
