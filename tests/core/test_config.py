"""Configuration: defaults, validation errors naming file and field, the CLI check."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from paywatch.cards import find_pans
from paywatch.cli import build_app
from paywatch.config import PROFILES, ConfigError, default_config, load_config


def test_default_config_targets_the_sandbox_with_at_least_two_regions() -> None:
    config = default_config()
    assert len(config.regions) >= 2
    assert config.targets.card_api.base_url == "http://127.0.0.1:8480"
    assert (config.targets.pos_host.host, config.targets.pos_host.port) == ("127.0.0.1", 8583)
    assert {j.name for j in config.journeys} == {"virtual_card_online", "pos_purchase", "credit_line_binding"}


def test_default_sandbox_has_a_terminal_without_credit_line_support_per_region() -> None:
    terminals = default_config().sandbox_terminals()
    for region in default_config().regions:
        kinds = {t.credit_line for t in terminals if t.region == region.name}
        assert kinds == {True, False}


def test_models_are_frozen() -> None:
    config = default_config()
    with pytest.raises(ValueError):
        config.regions[0].name = "x"  # type: ignore[misc]


def test_profile_and_time_scale(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profile: fast\n")
    assert load_config(path).scale == PROFILES["fast"]
    path.write_text("profile: fast\ntime_scale: 0.5\n")
    assert load_config(path).scaled(30) == 15


BAD_FILES = [
    ("journeys:\n  - name: virtual_card_online\n    interval_s: -1\n", "journeys.0.interval_s"),
    ("journeys:\n  - name: nonexistent\n", "journeys.0"),
    ("probe:\n  metrics:\n    port: 99999\n", "probe.metrics.port"),
    ("targets:\n  card_api:\n    base_url: ftp://x\n", "targets.card_api.base_url"),
    ("unknown_section: 1\n", "unknown_section"),
    ("time_scale: 0\n", "time_scale"),
    ("journeys:\n  - name: pos_purchase\n    regions: [mars]\n", "unknown region 'mars'"),
]


@pytest.mark.parametrize(("text", "field"), BAD_FILES, ids=[f for _, f in BAD_FILES])
def test_bad_file_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("a: [1,\n", "not valid YAML"), ("- 1\n- 2\n", "expected a mapping")],
    ids=["yaml", "not-mapping"],
)
def test_unusable_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_bad_pan_error_does_not_echo_the_number(tmp_path: Path) -> None:
    pan = "6229999000000015"  # Luhn-invalid on purpose: the error must not repeat it
    path = tmp_path / "bad.yaml"
    path.write_text(
        "regions:\n  - name: north\n    online_credit_line_id: CL-SYN-N\n"
        "    terminals: [{id: TNO00001, merchant_id: MNO00STORE00001}]\n"
        f"    pos_card: {{pan: '{pan}', expiry: '3012', credit_line_id: CL-SYN-P}}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "regions.0.pos_card.pan" in str(info.value)
    assert pan not in str(info.value)


def test_secrets_are_not_in_repr() -> None:
    config = default_config()
    assert not find_pans(repr(config))
    assert "sandbox-probe-key" not in repr(config)


def test_config_check_cli(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("profile: fast\n")
    bad.write_text("probe:\n  amount_minor: 0\n")
    runner = CliRunner()
    ok = runner.invoke(build_app(), ["config", "check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output
    failed = runner.invoke(build_app(), ["config", "check", str(bad)])
    assert failed.exit_code == 1
    assert "probe.amount_minor" in failed.output
