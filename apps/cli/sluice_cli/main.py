"""The ``sluice`` command. Each subcommand lives in its own module and is registered here.

Subcommands are imported only when run: ``demo`` or ``up`` import the four services (seconds
of imports), and ``sluice --help`` or ``sluice signal`` should not pay for that. ``COMMANDS``
maps each name to ``module:attribute`` (a command function or a ``typer.Typer``) and the
one-line summary ``sluice --help`` lists without importing it.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer import _click as click  # typer's own click: the one its TyperGroup is built on
from typer.core import TyperCommand, TyperGroup


class Entry(NamedTuple):
    """Where a subcommand lives and what ``sluice --help`` says about it."""

    target: str
    summary: str


COMMANDS: dict[str, Entry] = {
    "demo": Entry("sluice_cli.demo:demo", "The scripted tour on embedded defaults (make demo)."),
    "up": Entry("sluice_cli.up:up", "The four services and a TWS simulator until Ctrl-C."),
    "kafka": Entry("sluice_cli.kafka_serve:kafka", "A local Kafka broker (KRaft) until Ctrl-C."),
    "signal": Entry("sluice_cli.kafka_tools:signal", "Publish one signal onto Kafka."),
    "tail": Entry("sluice_cli.kafka_tools:tail", "Print the events of topics as they arrive."),
    "sim": Entry("sluice_cli.sim:sim_app", "Run the IBKR simulators on their own."),
    "doctor": Entry("sluice_cli.doctor:doctor", "Diagnose an IB Gateway / TWS connection."),
    "subscribe": Entry("sluice_cli.client_commands:subscribe", "Subscribe to quotes (Kafka)."),
    "unsubscribe": Entry("sluice_cli.client_commands:unsubscribe", "Drop a quote subscription."),
    "history": Entry("sluice_cli.history_command:history", "Historical bars from market-data."),
    "cancel": Entry("sluice_cli.client_commands:cancel", "Cancel the order of a signal."),
    "amend": Entry("sluice_cli.client_commands:amend", "Amend the working order of a signal."),
    "kill": Entry("sluice_cli.control_commands:kill", "Kill switch on: stop and cancel orders."),
    "resume": Entry("sluice_cli.control_commands:resume", "Kill switch off."),
    "accept-broker": Entry(
        "sluice_cli.control_commands:accept_broker",
        "Adopt the broker's positions; lift a POSITION_DRIFT halt.",
    ),
    "positions": Entry("sluice_cli.state_commands:positions", "Positions per instrument."),
    "pnl": Entry("sluice_cli.state_commands:pnl", "PnL per account."),
    "orders": Entry("sluice_cli.state_commands:orders", "Open orders and their latest step."),
    "status": Entry(
        "sluice_cli.state_commands:status",
        "Session, egress, kill switch and drift halt per account.",
    ),
}


def load(name: str) -> click.Command:
    """Import a subcommand and build its click command, as ``app.command`` would have."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    target: Any = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)
    holder.callback()(main)  # a callback makes the holder a group, even of one command
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


class LazyGroup(TyperGroup):
    """Lists every subcommand by its summary; imports one only to run it (or show its help)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, entry in COMMANDS.items():
            self.add_command(TyperCommand(name, help=entry.summary), name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in COMMANDS:
            command = load(name)
        return name, command, rest


app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    help="Sluice: event-driven trading infrastructure for IBKR.",
)


@app.callback()
def main() -> None:
    """Sluice: event-driven trading infrastructure for IBKR."""
