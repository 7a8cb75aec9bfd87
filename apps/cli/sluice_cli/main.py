"""The ``sluice`` command. Each subcommand lives in its own module and is registered here."""

from __future__ import annotations

import typer

from sluice_cli.demo import demo
from sluice_cli.doctor import doctor
from sluice_cli.kafka_tools import signal, tail
from sluice_cli.sim import sim_app
from sluice_cli.up import up

app = typer.Typer(
    no_args_is_help=True, help="Sluice: event-driven trading infrastructure for IBKR."
)
app.add_typer(sim_app, name="sim")
app.command("demo")(demo)
app.command("doctor")(doctor)
app.command("up")(up)
app.command("signal")(signal)
app.command("tail")(tail)
