"""``sluice demo``: the scripted tour of Sluice on its embedded defaults (``make demo``).

Four services and a simulated IB Gateway in one process; signals go in, the order lifecycle
shows up live, and the run exits 0 only if every step ended as the script expects.

On a terminal the order board is a live table; piped, the same run prints plain lines and the
board once at the end. Logs go through the same console, so they never tear the live table.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler


def demo(
    verbose: Annotated[bool, typer.Option(help="show the services' logs")] = False,
) -> None:
    """Run Sluice's scripted tour on embedded defaults; exit 0 when it all went as expected."""
    console = Console()
    console.print("[bold]Sluice demo[/]: four services and a simulated IB Gateway in one process")
    console.print("loading the services")
    # Imported here, after the first line: loading every service takes seconds on a slow
    # machine, and the terminal must not stay silent meanwhile.
    from sluice_cli.demo_script import run_demo  # noqa: PLC0415

    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    level = logging.INFO if verbose else logging.ERROR
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if not verbose:  # ib_async logs IBKR's informational codes (e.g. 202 cancelled) as errors
        logging.getLogger("ib_async").setLevel(logging.CRITICAL)
    ok = asyncio.run(run_demo(console))
    raise typer.Exit(0 if ok else 1)
