"""``paywatch sandbox``: a bad configuration file stops it at start, naming the file and field."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from paywatch.cli import build_app


def test_bad_config_exits_1_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sandbox:\n  traffic_rate: -3\n")
    result = CliRunner().invoke(build_app(), ["sandbox", "--config", str(bad)])
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "bad.yaml" in output and "traffic_rate" in output


def test_sandbox_command_is_registered() -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "--help"])
    assert result.exit_code == 0
    for option in ("--http-port", "--iso-port", "--traffic", "--event-log", "--config"):
        assert option in result.output
