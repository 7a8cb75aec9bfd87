"""``GET /history``: historical bars for strategies, from the cache or through the router."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, cast, get_args

import msgspec
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from sluice_market_data.history import HistoryService
from sluice_proto.common import Instrument
from sluice_proto.history import (
    HistoryBars,
    HistoryRejectReason,
    HistoryRequest,
    WhatToShow,
    parse_bar_size,
    parse_duration,
)

STATUS: dict[HistoryRejectReason, int] = {
    "INVALID_REQUEST": 400,
    "UNKNOWN_INSTRUMENT": 404,
    "NOT_SUBSCRIBED": 403,
    "NO_PERMISSION": 403,
    "NO_DATA": 404,
    "PACING": 429,
    "NOT_CONNECTED": 503,
    "TIMEOUT": 504,
    "BROKER_ERROR": 502,
}
"""The HTTP status of each refusal; the body always carries the contract's ``reason``."""


def _problem(status: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse({"reason": reason, "message": message}, status)


def history_router(history: HistoryService) -> APIRouter:
    """The ``/history`` route bound to ``history``."""
    router = APIRouter()

    @router.get("/history")
    async def get_history(  # noqa: PLR0917 (query parameters, spelled out for the docs)
        symbol: str,
        duration: str,
        bar: str,
        sec_type: str = "STK",
        exchange: str = "SMART",
        currency: str = "USD",
        con_id: int | None = None,
        end: Annotated[datetime | None, Query(description="RFC 3339; omitted: now")] = None,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> Any:
        """Bars oldest first: ``duration`` back from ``end`` (``1D``, ``2W``, ``3600S``) in
        bars of ``bar`` (``5m``, ``1h``, ``1d``). Refusals carry the contract's ``reason``."""
        problems = []
        if parse_duration(duration) is None:
            problems.append(f"duration {duration!r} is not <n><S|D|W|M|Y> (e.g. 1D)")
        if parse_bar_size(bar) is None:
            problems.append(f"bar {bar!r} is not <n><s|m|h|d|w|mo> (e.g. 5m)")
        if what_to_show not in get_args(WhatToShow):
            problems.append(f"what_to_show {what_to_show!r} is not one of {get_args(WhatToShow)}")
        if end is not None and end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        try:
            instrument = msgspec.convert(
                {"symbol": symbol, "sec_type": sec_type, "exchange": exchange,
                 "currency": currency, "con_id": con_id},
                Instrument,
            )  # fmt: skip
        except msgspec.ValidationError as exc:
            problems.append(f"instrument: {exc}")
        if problems:
            return _problem(400, "INVALID_REQUEST", "; ".join(problems))
        request = HistoryRequest(
            request_id=uuid.uuid4().hex, instrument=instrument, duration=duration, bar_size=bar,
            end=end, what_to_show=cast(WhatToShow, what_to_show), use_rth=use_rth,
        )  # fmt: skip
        answer = await history.fetch(request)
        reply = answer.reply
        if not isinstance(reply, HistoryBars):
            return _problem(STATUS.get(reply.reason, 502), reply.reason, reply.message)
        return {
            "instrument": msgspec.to_builtins(instrument),
            "duration": duration,
            "bar": bar,
            "end": end.isoformat() if end is not None else None,
            "what_to_show": what_to_show,
            "use_rth": use_rth,
            "cached": answer.cached,
            "bars": msgspec.to_builtins(reply.bars),
        }

    return router
