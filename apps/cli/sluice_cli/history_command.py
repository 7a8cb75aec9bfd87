"""``sluice history``: historical bars from market-data's ``GET /history``, as a table."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from typing import Annotated, cast, get_args

import msgspec
import typer

from sluice_cli.client_commands import _instrument
from sluice_cli.on_kafka import JSON_HELP, show
from sluice_client import HistoryRefusedError, MarketDataUnreachableError, fetch_history
from sluice_proto.history import WhatToShow

MD_URL_ENV = "SLUICE_MD_URL"
DEFAULT_MD_URL = "http://127.0.0.1:8081"
"""market-data's HTTP address under ``sluice up`` and docker compose."""
URL_HELP = f"market-data's HTTP address (${MD_URL_ENV}; default {DEFAULT_MD_URL})"
COLUMNS = ["start", "open", "high", "low", "close", "volume"]


def history(
    symbol: Annotated[str, typer.Argument(help="e.g. AAPL")],
    *,
    duration: Annotated[str, typer.Option(help="how far back: <n><S|D|W|M|Y>, e.g. 1D")] = "1D",
    bar: Annotated[str, typer.Option(help="bar size: <n><s|m|h|d|w|mo>, e.g. 5m")] = "5m",
    end: Annotated[
        datetime | None, typer.Option(help="end of the window (UTC if no offset; default: now)")
    ] = None,
    what: Annotated[str, typer.Option(help="TRADES, MIDPOINT, BID or ASK")] = "TRADES",
    rth: Annotated[bool, typer.Option(help="regular trading hours only")] = True,
    sec_type: Annotated[str, typer.Option(help="STK, FUT, CASH, ...")] = "STK",
    exchange: Annotated[str, typer.Option(help="exchange")] = "SMART",
    currency: Annotated[str, typer.Option(help="currency")] = "USD",
    url: Annotated[str | None, typer.Option(help=URL_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Historical bars of an instrument, oldest first (market-data caches closed windows)."""
    base = url or os.environ.get(MD_URL_ENV) or DEFAULT_MD_URL
    if what.upper() not in get_args(WhatToShow):
        raise typer.BadParameter(f"--what must be one of {', '.join(get_args(WhatToShow))}")
    work = fetch_history(
        base, _instrument(symbol, sec_type, exchange, currency), duration=duration, bar=bar,
        end=end, what_to_show=cast(WhatToShow, what.upper()), use_rth=rth,
    )  # fmt: skip
    try:
        answer = asyncio.run(work)
    except (HistoryRefusedError, MarketDataUnreachableError) as exc:
        typer.echo(f"no bars: {exc}", err=True)
        raise typer.Exit(1) from None
    rows = msgspec.to_builtins(answer.bars)
    if as_json:
        typer.echo(json.dumps(msgspec.to_builtins(answer)))
        return
    source = " (cached)" if answer.cached else ""
    title = f"{symbol.upper()} {bar} bars over {duration}{source}"
    show(rows, title=title, as_json=False, empty="no bars", columns=COLUMNS)
