"""``python -m paywatch``: the same as the ``paywatch`` command."""

from paywatch.cli import main

main()
