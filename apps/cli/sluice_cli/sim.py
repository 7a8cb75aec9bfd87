"""``sluice sim``: run an IBKR simulator (paper venue) on its own."""

from __future__ import annotations

import typer

from sluice_cli.sim_cp import cp
from sluice_cli.sim_tws import tws
from sluice_cli.sim_webapi import webapi

sim_app = typer.Typer(no_args_is_help=True, help="Run the IBKR simulators on their own.")
sim_app.command("cp")(cp)
sim_app.command("tws")(tws)
sim_app.command("webapi")(webapi)
