"""``python -m sluice_cli``: the same as the ``sluice`` command."""

from sluice_cli.main import app

app()
