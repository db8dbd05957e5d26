"""``paywatch sandbox``: a bad configuration file stops it at start, naming the file and field; a good one
prints the addresses and the event log, and SIGINT stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


def test_sandbox_prints_its_addresses_and_event_log_then_stops_on_sigint(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    command = [
        sys.executable,
        "-c",
        "from paywatch.cli import main; main()",
        "sandbox",
        "--http-port",
        "0",
        "--iso-port",
        "0",
    ]
    process = subprocess.Popen(
        [*command, "--event-log", str(log), "--traffic", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PAYWATCH_STATE_DIR": str(tmp_path)},
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(5)]  # the five start-up lines
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert printed[0].startswith("card API   http://127.0.0.1:")
    assert printed[2].startswith("POS host   127.0.0.1:")
    assert printed[3].strip() == f"event log  {log}"
    assert log.exists()
    assert "sandbox stopped" in rest and process.returncode == 0
