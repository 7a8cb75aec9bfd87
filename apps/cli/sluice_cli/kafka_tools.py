"""``sluice signal`` and ``sluice tail``: publish a signal and watch topics on a Kafka cluster."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Annotated, Any

import msgspec
import typer

from sluice_bus import Bus, ConsumerOptions, Message
from sluice_cli.broker_reach import BOOTSTRAP_HELP, bootstrap_of, kafka_client
from sluice_cli.on_kafka import cli_bus
from sluice_proto import Signal
from sluice_proto.codec import encode, event_type
from sluice_proto.topics import SIGNALS, TOPICS


def signal(
    symbol: Annotated[str, typer.Argument(help="e.g. AAPL")],
    side: Annotated[str, typer.Argument(help="BUY or SELL")],
    quantity: Annotated[str, typer.Argument(help="a positive decimal")],
    *,
    order_type: Annotated[str, typer.Option("--type", help="MKT, LMT, STP, STP_LMT")] = "MKT",
    limit: Annotated[str | None, typer.Option(help="limit price")] = None,
    stop: Annotated[str | None, typer.Option(help="stop price")] = None,
    strategy: Annotated[str, typer.Option(help="strategy id")] = "cli",
    signal_id: Annotated[str | None, typer.Option(help="idempotency key (default: random)")] = None,
    account: Annotated[str | None, typer.Option(help="account (default: risk's)")] = None,
    tif: Annotated[str, typer.Option(help="DAY, GTC or IOC")] = "DAY",
    bootstrap: Annotated[str | None, typer.Option(help=BOOTSTRAP_HELP)] = None,
) -> None:
    """Publish one Signal onto sluice.signals.v1 and print its client order id."""
    fields = {
        "signal_id": signal_id or uuid.uuid4().hex[:12],
        "strategy_id": strategy,
        "account": account,
        "symbol": symbol,
        "side": side.upper(),
        "quantity": quantity,
        "order_type": order_type.upper(),
        "limit_price": limit,
        "stop_price": stop,
        "tif": tif.upper(),
    }
    try:  # the same validation a consumer applies: never publish what risk would dead-letter
        event = msgspec.convert(fields, Signal)
    except msgspec.ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None
    address = bootstrap_of(bootstrap)
    bus = cli_bus("sluice-cli", address)  # a bad setting is its one line, broker or not
    with kafka_client(address):
        asyncio.run(_publish(bus, event))
    typer.echo(f"published {event.signal_id} → client_order_id {event.client_order_id}")


async def _publish(bus: Bus, event: Signal) -> None:
    await bus.start()
    try:
        await bus.publish(SIGNALS, event, key=event.strategy_id)
    finally:
        await bus.stop()


def tail(
    topics: Annotated[list[str], typer.Argument(help="topics, e.g. sluice.orders.events.v1")],
    from_beginning: Annotated[bool, typer.Option(help="replay the topic first")] = False,
    bootstrap: Annotated[str | None, typer.Option(help=BOOTSTRAP_HELP)] = None,
) -> None:
    """Print events of the given topics as they arrive, until interrupted."""
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        raise typer.BadParameter(f"unknown topic(s) {unknown}; known: {sorted(TOPICS)}")
    address = bootstrap_of(bootstrap)
    bus = cli_bus("sluice-cli-tail", address)
    with kafka_client(address), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_tail(bus, topics, from_beginning))


async def _tail(bus: Bus, topics: list[str], from_beginning: bool) -> None:

    async def show(message: Message[Any]) -> None:
        # One plain line per event, never wrapped or styled, so it pipes into grep and jq.
        record = message.record
        typer.echo(
            f"{record.topic}/{record.partition}@{record.offset} "
            f"{event_type(message.event)} {encode(message.event).decode()}"
        )

    await bus.start()
    try:
        # A fresh group each run: tail never moves anyone else's offsets.
        await bus.consume(
            topics,
            group=f"sluice-tail-{uuid.uuid4().hex[:8]}",
            handler=show,
            options=ConsumerOptions(from_beginning=from_beginning, max_attempts=1),
        )
        await asyncio.Event().wait()
    finally:
        await bus.stop()
