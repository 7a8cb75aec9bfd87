"""What every operator command does on Kafka: run its client (a broker that does not answer
is ``broker_reach``'s one line and exit 2), read the topics, show rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import typer

from sluice_bus import Bus
from sluice_cli.broker_reach import EXIT_NO_BROKER, kafka_client, no_broker
from sluice_cli.operator_state import OperatorState
from sluice_client import BrokerUnavailableError, SluiceClientError
from sluice_runtime import SluiceSettings, load_settings, settings_bus

T = TypeVar("T")

JSON_HELP = "print JSON (for scripts) instead of a table"
HEADERS = {
    "strategy_id": "strategy",
    "signal_id": "signal",
    "filled_quantity": "filled",
    "trading_allowed": "trading",
    "kill_switch": "killed",
}
"""Short table headers where the field name would not fit an 80-column terminal."""


def cli_bus(service: str, bootstrap: str) -> Bus:
    """A Kafka bus on ``bootstrap`` with the environment's other bus settings (a command
    creating a missing topic creates it as the services would, ``SLUICE_PARTITIONS``)."""
    settings = load_settings(SluiceSettings)
    return settings_bus(settings.model_copy(update={"kafka_bootstrap": bootstrap}), service)


def run_on_kafka(work: Coroutine[Any, Any, T], bootstrap: str) -> T:
    """Run a command's work; no broker is ``no_broker``'s one line, and so is a cluster
    Sluice has not created its topics on (both exit 2). The bus settings are read first, so a
    bad one is its own line whether or not a broker answers."""
    try:
        load_settings(SluiceSettings)
        with kafka_client(bootstrap):
            try:
                return asyncio.run(work)
            except BrokerUnavailableError:
                no_broker(bootstrap)
            except SluiceClientError as exc:
                typer.echo(f"sluice: {exc}", err=True)
                raise typer.Exit(EXIT_NO_BROKER) from None
    finally:
        work.close()  # not started when no broker answers: no "never awaited" warning


async def read_state(bootstrap: str, topics: Sequence[str]) -> OperatorState:
    """The topics as they are now, folded (a replay: no consumer group, nothing committed)."""
    state = OperatorState()
    async for message in cli_bus("sluice-cli", bootstrap).replay(topics):
        state.apply(message.event)
    return state


def show(
    rows: list[dict[str, Any]],
    *,
    title: str,
    as_json: bool,
    empty: str,
    columns: Sequence[str] | None = None,
) -> None:
    """Rows as a JSON array (every field), or as a table of ``columns`` for people."""
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo(empty)
        return
    # rich only for a table: the commands that print none (kill, subscribe...) or print JSON
    # start without it (bench cli_start)
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    names = list(columns or rows[0])
    table = Table(title=title, title_justify="left")
    for name in names:
        table.add_column(HEADERS.get(name, name.replace("_", " ")), overflow="fold")
    for row in rows:
        table.add_row(*("" if row[name] is None else str(row[name]) for name in names))
    Console().print(table)
