"""``python -m exporters.authlog ...``: the ``paywatch export authlog`` command without the other stages' imports."""

from __future__ import annotations

import sys

import typer

from exporters.cli import register


def main() -> None:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)
    app(["export", "authlog", *sys.argv[1:]], prog_name="paywatch")


if __name__ == "__main__":
    main()
