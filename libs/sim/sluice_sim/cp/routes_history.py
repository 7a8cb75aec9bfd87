"""``GET /iserver/marketdata/history``: the venue's deterministic bars in IBKR's shape.

The answer's fields follow IBKR's Web API reference for this endpoint (``serverId``,
``symbol``, ``text``, ``priceFactor``, ``startTime`` = the chronologically first bar,
``high``/``low`` as ``price*factor/volume/minutes from start``, ``timePeriod``, ``barLength``,
``mdAvailability``, ``outsideRth``, ``direction`` -1, ``data`` of ``{t (epoch ms), o, h, l,
c, v}``, ``points``). The request's ``startTime`` is the UTC point the ``period`` reaches back
from (``direction`` -1); without it, now. At most 1000 bars, the latest (IBKR documents the
limit; the truncation is a plausible choice). The error texts are plausible, not IBKR's words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sluice_sim.venue import VenueError
from sluice_sim.venue.history import BAR_SIZES, Bar, bars

from .state import CpState

MAX_POINTS = 1000
_BAR_UNITS = {"S": 1, "min": 60, "h": 3600, "d": 86400, "w": 604800, "m": 2_592_000}
_PERIOD_UNITS = {"min": 60, "h": 3600, "d": 86400, "w": 604800, "m": 2_592_000, "y": 31_536_000}
_SPELLING = re.compile(r"^(\d+)([A-Za-z]+)$")
_SOURCES = {"trades": "TRADES", "midpoint": "MIDPOINT", "bid": "BID", "ask": "ASK"}


def _seconds(text: str, units: dict[str, int]) -> int | None:
    found = _SPELLING.match(text.strip())
    if found is None or int(found[1]) <= 0 or found[2] not in units:
        return None
    return int(found[1]) * units[found[2]]


def _error(text: str) -> JSONResponse:
    return JSONResponse({"error": text}, 400)


def history_routes(state: CpState) -> APIRouter:
    """The historical-data endpoint bound to ``state``."""
    router = APIRouter()
    venue = state.venue

    @router.get("/iserver/marketdata/history")
    async def history(  # noqa: PLR0917 (IBKR's query parameters)
        conid: int,
        bar: str,
        period: str = "1w",
        startTime: str | None = None,  # noqa: N803
        outsideRth: bool = False,  # noqa: N803
        source: str = "trades",
    ) -> Any:
        if not state.accounts_queried:
            return _error("Please query /accounts first")
        bar_s = _seconds(bar, _BAR_UNITS)
        if bar_s is None or bar_s not in BAR_SIZES.values():
            return _error(f"Invalid bar size: {bar}")
        period_s = _seconds(period, _PERIOD_UNITS)
        if period_s is None:
            return _error(f"Invalid period: {period}")
        what_to_show = _SOURCES.get(source.lower())
        if what_to_show is None:
            return _error(f"Invalid source: {source}")
        try:
            inst = venue.universe.get(conid)
        except VenueError as exc:
            return _error(exc.text)
        end = venue.clock()
        if startTime:
            try:
                end = datetime.strptime(startTime, "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                return _error(f"Invalid startTime: {startTime}")
        quote = venue.quotes.quote(inst.con_id)
        found = bars(
            inst, (quote.bid + quote.ask) / 2, end=end.astimezone(ZoneInfo(inst.time_zone)),
            duration_s=period_s, bar_s=bar_s, what_to_show=what_to_show, seed=venue.config.seed,
        )[-MAX_POINTS:]  # fmt: skip
        return _answer(
            inst.symbol, inst.long_name, found, period, bar_s=bar_s, outside_rth=outsideRth
        )

    return router


def _answer(
    symbol: str, text: str, found: list[Bar], period: str, *, bar_s: int, outside_rth: bool
) -> dict[str, Any]:
    first = found[0].start
    factor = 100

    def extreme(price: Decimal, at: datetime) -> str:
        minutes = int((at - first).total_seconds() // 60)
        return f"{int(price * factor)}/0/{minutes}"

    high = max(found, key=lambda b: b.high)
    low = min(found, key=lambda b: b.low)
    trades = found[0].volume >= 0
    return {
        "serverId": "20477",
        "symbol": symbol,
        "text": text,
        "priceFactor": factor,
        "startTime": first.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S"),
        "high": extreme(high.high, high.start),
        "low": extreme(low.low, low.start),
        "timePeriod": period,
        "barLength": bar_s,
        "mdAvailability": "S",
        "mktDataDelay": 0,
        "outsideRth": outside_rth,
        "volumeFactor": 1,
        "priceDisplayRule": 1,
        "priceDisplayValue": "2",
        "negativeCapable": False,
        "messageVersion": 2,
        "direction": -1,
        "data": [_point(b, trades) for b in found],
        "points": len(found),
        "travelTime": 12,
    }


def _point(bar: Bar, trades: bool) -> dict[str, Any]:
    return {
        "t": int(bar.start.timestamp() * 1000),
        "o": float(bar.open), "h": float(bar.high), "l": float(bar.low), "c": float(bar.close),
        "v": float(bar.volume) if trades else 0.0,
    }  # fmt: skip
