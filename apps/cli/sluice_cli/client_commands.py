"""``sluice subscribe``, ``unsubscribe``, ``cancel`` and ``amend``, on the strategy client
(``sluice_client``) as any strategy would send them."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import msgspec
import typer

from sluice_cli.broker_reach import BOOTSTRAP_HELP, bootstrap_of
from sluice_cli.on_kafka import JSON_HELP, run_on_kafka
from sluice_client import (
    CancelRejected,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
    Quote,
    SluiceClient,
    final_status,
)
from sluice_proto import Instrument, ModifyRequest
from sluice_proto.codec import encode, event_type

Bootstrap = Annotated[str | None, typer.Option(help=BOOTSTRAP_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
Symbol = Annotated[str, typer.Argument(help="e.g. AAPL")]
Subscriber = Annotated[str, typer.Option(help="subscriber id (subscriptions count per id)")]
SecType = Annotated[str, typer.Option(help="STK, FUT, CASH, ...")]
Exchange = Annotated[str, typer.Option(help="exchange")]
Currency = Annotated[str, typer.Option(help="currency")]
Wait = Annotated[float, typer.Option(help="seconds to wait for the answer (0: don't)")]


def _instrument(symbol: str, sec_type: str, exchange: str, currency: str) -> Instrument:
    fields = {"symbol": symbol, "sec_type": sec_type.upper(), "exchange": exchange}
    try:  # validated as market-data would decode it
        return msgspec.convert({**fields, "currency": currency.upper()}, Instrument)
    except msgspec.ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None


def subscribe(
    symbol: Symbol,
    *,
    subscriber: Subscriber = "cli",
    sec_type: SecType = "STK",
    exchange: Exchange = "SMART",
    currency: Currency = "USD",
    wait: Wait = 10.0,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Subscribe to an instrument's quotes (until sluice unsubscribe); show the first one."""
    instrument = _instrument(symbol, sec_type, exchange, currency)
    server = bootstrap_of(bootstrap)
    quote = run_on_kafka(_subscribe(server, instrument, subscriber, wait), server)
    if as_json:
        document: dict[str, Any] = {"instrument": instrument.key, "subscriber_id": subscriber}
        document["quote"] = json.loads(encode(quote)) if quote else None
        typer.echo(json.dumps(document))
    else:
        typer.echo(f"subscribed {subscriber} to {instrument.key}")
        if quote is not None:
            typer.echo(f"quote: bid {quote.bid} ask {quote.ask} last {quote.last}")
    if wait > 0 and quote is None:
        typer.echo(f"no quote within {wait:g}s: is market-data running?", err=True)
        raise typer.Exit(1)


async def _subscribe(
    bootstrap: str, instrument: Instrument, subscriber: str, wait: float
) -> Quote | None:
    async with SluiceClient(bootstrap, subscriber) as client:
        await client.subscribe(instrument, subscriber)
        if wait <= 0:
            return None
        try:
            async with asyncio.timeout(wait), client.quotes(instrument) as quotes:
                return await anext(quotes)
        except TimeoutError:
            return None


def unsubscribe(
    symbol: Symbol,
    *,
    subscriber: Subscriber = "cli",
    sec_type: SecType = "STK",
    exchange: Exchange = "SMART",
    currency: Currency = "USD",
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Drop a subscription made with sluice subscribe (same subscriber id)."""
    instrument = _instrument(symbol, sec_type, exchange, currency)
    server = bootstrap_of(bootstrap)
    run_on_kafka(_unsubscribe(server, instrument, subscriber), server)
    if as_json:
        typer.echo(json.dumps({"instrument": instrument.key, "subscriber_id": subscriber}))
    else:
        typer.echo(f"unsubscribed {subscriber} from {instrument.key}")


async def _unsubscribe(bootstrap: str, instrument: Instrument, subscriber: str) -> None:
    async with SluiceClient(bootstrap, subscriber) as client:
        await client.unsubscribe(instrument, subscriber)


def cancel(
    signal_id: Annotated[str, typer.Argument(help="the signal whose order to cancel")],
    *,
    strategy: Annotated[str, typer.Option(help="the strategy that sent it")] = "cli",
    account: Annotated[str | None, typer.Option(help="account (default: the order's)")] = None,
    reason: Annotated[str, typer.Option(help="why")] = "",
    wait: Wait = 15.0,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Cancel the order of a signal; wait for order_cancelled (or why it could not be)."""
    server = bootstrap_of(bootstrap)
    work = _cancel(
        server, strategy=strategy, signal_id=signal_id, account=account, reason=reason, wait=wait
    )
    answer = run_on_kafka(work, server)
    refusal = f"cancel rejected: {answer.text}" if isinstance(answer, CancelRejected) else None
    published = f"cancel of {strategy}/{signal_id} published"
    _report(answer, OrderCancelled, refusal, published, wait=wait, as_json=as_json)


def _report(
    answer: Any, done: type, refusal: str | None, published: str, *, wait: float, as_json: bool
) -> None:
    """Print the answer to a cancel or an amend; exit 1 unless it is ``done`` (or, when not
    waiting, the request was published)."""
    if as_json:
        typer.echo(json.dumps({"answer": json.loads(encode(answer)) if answer else None}))
    elif refusal is not None:
        typer.echo(refusal)
    elif answer is not None:
        typer.echo(f"{event_type(answer)}: {answer.client_order_id}")
    if isinstance(answer, done):
        return
    if answer is None:
        if wait <= 0:
            typer.echo(published)
            return
        typer.echo(f"no answer within {wait:g}s: is the order open? (sluice orders)", err=True)
    raise typer.Exit(1)


async def _cancel(
    bootstrap: str,
    *,
    strategy: str,
    signal_id: str,
    account: str | None,
    reason: str,
    wait: float,
) -> Any:
    async with SluiceClient(bootstrap, strategy) as client:
        request = await client.cancel(signal_id, account=account, reason=reason or "sluice cancel")
        if wait <= 0:
            return None
        try:
            async with asyncio.timeout(wait):
                async for event in client.lifecycle(request):
                    if isinstance(event, CancelRejected) or final_status(event) is not None:
                        return event
        except TimeoutError:
            return None
    return None


def amend(
    signal_id: Annotated[str, typer.Argument(help="the signal whose working order to amend")],
    *,
    revision: Annotated[int, typer.Option(min=1, help="1 for the first amend, then 2, ...")],
    quantity: Annotated[str | None, typer.Option(help="new total quantity")] = None,
    limit: Annotated[str | None, typer.Option(help="new limit price")] = None,
    stop: Annotated[str | None, typer.Option(help="new stop price")] = None,
    tif: Annotated[str | None, typer.Option(help="new time in force: DAY, GTC, IOC")] = None,
    strategy: Annotated[str, typer.Option(help="the strategy that sent it")] = "cli",
    account: Annotated[str | None, typer.Option(help="account (default: the order's)")] = None,
    wait: Wait = 15.0,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Amend the working order of a signal (same IBKR order); wait for order_amended or why
    it was refused. A revision already used is refused, never applied twice."""
    server = bootstrap_of(bootstrap)
    fields = {"quantity": quantity, "limit_price": limit, "stop_price": stop, "tif": tif}
    try:  # validated as risk would decode it (at least one change, prices > 0, a known tif)
        request = msgspec.convert(
            {"strategy_id": strategy, "signal_id": signal_id, "revision": revision,
             **{k: v.upper() if k == "tif" else v for k, v in fields.items() if v}},
            ModifyRequest,
        )  # fmt: skip
    except msgspec.ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None
    answer = run_on_kafka(_amend(server, request, account=account, wait=wait), server)
    refusal = (
        f"amend rejected ({answer.reason_code}): {answer.message}"
        if isinstance(answer, OrderAmendRejected)
        else None
    )
    published = f"amend {revision} of {strategy}/{signal_id} published"
    _report(answer, OrderAmended, refusal, published, wait=wait, as_json=as_json)


async def _amend(bootstrap: str, wanted: ModifyRequest, *, account: str | None, wait: float) -> Any:
    revision = wanted.revision
    async with SluiceClient(bootstrap, wanted.strategy_id) as client:
        request = await client.modify(
            wanted.signal_id, revision=revision, quantity=wanted.quantity,
            limit_price=wanted.limit_price, stop_price=wanted.stop_price, tif=wanted.tif,
            account=account, reason="sluice amend",
        )  # fmt: skip
        if wait <= 0:
            return None
        try:
            async with asyncio.timeout(wait):
                async for event in client.lifecycle(request):
                    answered = isinstance(event, OrderAmended | OrderAmendRejected)
                    if answered and event.revision == revision:
                        return event
                    if final_status(event) is not None:
                        return event
        except TimeoutError:
            return None
    return None
