"""What every operator command does on Kafka: find the broker, read the topics, and turn a
broker that does not answer into one line and exit status 2."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import typer
from aiokafka.errors import KafkaConnectionError
from rich.console import Console
from rich.table import Table

from sluice_bus import make_bus
from sluice_cli.operator_state import OperatorState
from sluice_client import BrokerUnavailableError, SluiceClientError
from sluice_runtime import SluiceSettings, load_settings

T = TypeVar("T")

BOOTSTRAP_HELP = "Kafka bootstrap servers (default: $SLUICE_KAFKA_BOOTSTRAP)"
JSON_HELP = "print JSON (for scripts) instead of a table"
HEADERS = {
    "strategy_id": "strategy",
    "signal_id": "signal",
    "filled_quantity": "filled",
    "trading_allowed": "trading",
    "kill_switch": "killed",
}
"""Short table headers where the field name would not fit an 80-column terminal."""


def resolve_bootstrap(option: str | None) -> str:
    """``--bootstrap``, else ``SLUICE_KAFKA_BOOTSTRAP``; a usage error (exit 2) without either."""
    bootstrap = option or load_settings(SluiceSettings).kafka_bootstrap
    if not bootstrap:
        raise typer.BadParameter(
            "set SLUICE_KAFKA_BOOTSTRAP=host:port (or pass --bootstrap): the in-memory bus of "
            "`sluice up` is private to its process",
            param_hint="--bootstrap",
        )
    return bootstrap


def run_on_kafka(work: Coroutine[Any, Any, T], bootstrap: str) -> T:
    """Run a command's work; no broker (or no Sluice topics) is one line on stderr, exit 2."""
    # aiokafka logs every failed connection attempt; the one line below says it all.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(work)
    except (KafkaConnectionError, BrokerUnavailableError):
        message = f"no Kafka broker at {bootstrap}: start one (sluice kafka) or fix --bootstrap"
    except SluiceClientError as exc:
        message = str(exc)
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


async def read_state(bootstrap: str, topics: Sequence[str]) -> OperatorState:
    """The topics as they are now, folded (a replay: no consumer group, nothing committed)."""
    state = OperatorState()
    async for message in make_bus("sluice-cli", bootstrap).replay(topics):
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
    names = list(columns or rows[0])
    table = Table(title=title, title_justify="left")
    for name in names:
        table.add_column(HEADERS.get(name, name.replace("_", " ")), overflow="fold")
    for row in rows:
        table.add_row(*("" if row[name] is None else str(row[name]) for name in names))
    Console().print(table)
