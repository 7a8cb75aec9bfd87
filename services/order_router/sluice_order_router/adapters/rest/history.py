"""Historical bars over the Web API: ``GET /iserver/marketdata/history``.

IBKR's answer (Web API reference, ``/iserver/marketdata/history``): ``data`` is a list of
``{"t": epoch ms, "o", "h", "l", "c", "v"}``; ``startTime`` is the UTC point the ``period``
extends back from (``direction`` -1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sluice_order_router.domain.history import rest_bar, rest_period
from sluice_order_router.ports import BrokerRejectedError
from sluice_proto.history import Bar, HistoryRequest

from .client import CpClient

HISTORY_PATH = "/iserver/marketdata/history"
_SOURCES = {"TRADES": "trades", "MIDPOINT": "midpoint", "BID": "bid", "ASK": "ask"}


def history_params(request: HistoryRequest, con_id: int) -> dict[str, str]:
    """The query of one request."""
    params = {
        "conid": str(con_id),
        "period": rest_period(request.duration),
        "bar": rest_bar(request.bar_size),
        "outsideRth": "false" if request.use_rth else "true",
        "source": _SOURCES[request.what_to_show],
    }
    if request.end is not None:
        params["startTime"] = request.end.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S")
    return params


def parse_bars(body: Any, what_to_show: str) -> list[Bar]:
    """IBKR's ``data`` as bars, oldest first; an answer without ``data`` is a refusal."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        text = body.get("error") if isinstance(body, dict) else None
        raise BrokerRejectedError(None, str(text or "no historical data in IBKR's answer"))
    trades = what_to_show == "TRADES"
    return sorted((_bar(raw, trades) for raw in body["data"]), key=lambda bar: bar.start)


def _bar(raw: dict[str, Any], trades: bool) -> Bar:
    def dec(value: Any) -> Decimal:
        return Decimal(str(value))

    return Bar(
        start=datetime.fromtimestamp(int(raw["t"]) / 1000, UTC),
        open=dec(raw["o"]), high=dec(raw["h"]), low=dec(raw["l"]), close=dec(raw["c"]),
        volume=dec(raw["v"]) if trades and raw.get("v") is not None else None,
    )  # fmt: skip


async def fetch_bars(client: CpClient, request: HistoryRequest, con_id: int) -> list[Bar]:
    """One history request through the shared client (limiter, egress door)."""
    body = await client.request("GET", HISTORY_PATH, params=history_params(request, con_id))
    return parse_bars(body, request.what_to_show)
