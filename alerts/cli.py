"""``paywatch rules generate``: write the rule files and Alertmanager config from alerts/slos.yaml, or
check (``--check``) that the committed ones match what the generator makes now."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from alerts.alertmanager import ALERTMANAGER_PATH, PRODUCTION_RECEIVERS, alertmanager_config
from alerts.generate import RULES_DIR, rule_files
from alerts.spec import SpecError
from paywatch.config import PROFILES

__all__ = ["generated_files", "register"]

console = Console(stderr=True)


class Profile(StrEnum):
    production = "production"
    fast = "fast"


def generated_files(profile: str, out: Path | None) -> dict[Path, str]:
    """Every file ``generate`` writes: rule files and alertmanager.yml. Without ``out`` they go where the
    committed ones live (rules/ and the alerts package), with the templates path relative to them."""
    time_scale = PROFILES[profile]
    rules_dir = out or RULES_DIR
    files = {rules_dir / name: text for name, text in rule_files(time_scale).items()}
    if out is None:
        files[ALERTMANAGER_PATH] = alertmanager_config(
            time_scale=time_scale, **PRODUCTION_RECEIVERS, templates_dir="templates"
        )
    else:
        files[out / "alertmanager.yml"] = alertmanager_config(time_scale=time_scale, **PRODUCTION_RECEIVERS)
    return files


def register(app: typer.Typer) -> None:
    rules = typer.Typer(help="Prometheus rules and Alertmanager config from the SLO spec.", no_args_is_help=True)

    @rules.command("generate")
    def generate(
        profile: Annotated[
            Profile, typer.Option(help="Time profile of the windows and intervals.")
        ] = Profile.production,
        out: Annotated[
            Path | None, typer.Option(help="Directory to write into (default: the committed alerts/rules).")
        ] = None,
        check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the files drifted.")] = False,
    ) -> None:
        """Generate the rule files and alertmanager.yml (or check them with --check)."""
        try:
            files = generated_files(profile.value, out)
        except SpecError as exc:
            console.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(1) from None
        if check:
            drifted = [p for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
            for path in drifted:
                console.print(f"[red]drifted:[/red] {path} (run `paywatch rules generate`)", highlight=False)
            if drifted:
                raise typer.Exit(1)
            typer.echo(f"{len(files)} files up to date")
            return
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {path}")

    app.add_typer(rules, name="rules")
