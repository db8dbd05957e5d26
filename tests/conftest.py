"""Suite-wide fixtures: no test reads or writes the user's own state or configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from paywatch import environment


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh state directory per test, and no configuration or profile from the caller's shell."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv(environment.PAYWATCH_STATE_DIR, str(state))
    monkeypatch.delenv(environment.PAYWATCH_CONFIG, raising=False)
    monkeypatch.delenv(environment.PAYWATCH_PROFILE, raising=False)
    for name in environment.OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return state
