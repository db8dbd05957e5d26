"""The SLO spec: durations, and a bad spec failing at load with the field that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alerts.spec import SPEC_PATH, SpecError, format_duration, load_spec, parse_duration

DURATIONS = [("5m", 300), ("1h30m", 5400), ("3d", 259200), ("20s", 20)]


@pytest.mark.parametrize(("text", "seconds"), DURATIONS, ids=[d[0] for d in DURATIONS])
def test_duration_round_trip(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == text


SCALED = [(300 / 15, "20s"), (120 / 15, "8s"), (86400 / 15, "1h36m"), (0.2, "1s")]


@pytest.mark.parametrize(("seconds", "text"), SCALED, ids=[s[1] for s in SCALED])
def test_scaled_durations_round_to_whole_seconds(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_committed_spec_loads() -> None:
    spec = load_spec()
    assert spec.windows == [300, 1800, 3600, 7200, 21600, 86400, 259200]
    assert all(s.min_event_rate > 0 for s in spec.slos)


BROKEN = [
    ("objective-above-one", ["slos", 0, "objective"], 1.5, "slos.0.objective"),
    ("bad-duration", ["burn_windows", 0, "long"], "an hour", "burn_windows.0.long"),
    ("short-not-shorter", ["burn_windows", 0, "short"], "2h", "short window must be shorter"),
    ("latency-without-threshold", ["slos", 2, "threshold_seconds"], None, "threshold_seconds is required"),
]


@pytest.mark.parametrize(("path", "value", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_spec_names_the_field(path: list[object], value: object, message: str, tmp_path: Path) -> None:
    raw = yaml.safe_load(SPEC_PATH.read_text())
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    broken = tmp_path / "slos.yaml"
    broken.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as caught:
        load_spec(broken)
    assert message in str(caught.value)
    assert str(broken) in str(caught.value)
