"""reqHistoricalData through ib_async, with IBKR's refusal kept rather than lost.

``IB.reqHistoricalDataAsync`` answers an error with an empty list (and waits on 321, which
ib_async counts as a warning), so the error's code and text would be lost: the request is made
at the level below, with IBKR's error for this request id ending the wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from typing import Any

from ib_async import IB, BarData, BarDataList, Contract

from sluice_order_router.adapters.socket.mapping import dec
from sluice_order_router.domain.history import tws_bar_size, tws_duration
from sluice_order_router.ports import BrokerRejectedError
from sluice_proto.history import Bar, HistoryRequest

_EPOCH_SECONDS = 2
"""formatDate 2: bar times as epoch seconds (UTC), never in the exchange's zone."""


async def request_bars(ib: IB, contract: Contract, request: HistoryRequest) -> list[Bar]:
    """The bars IBKR answers, or ``BrokerRejectedError`` with its code and text. Unbounded:
    the caller times it out, and a cancelled wait cancels the request at IBKR."""
    bar_size, duration = tws_bar_size(request.bar_size), tws_duration(request.duration)
    req_id = ib.client.getReqId()
    container = BarDataList()  # type: ignore[no-untyped-call]
    container.reqId = req_id
    answered = ib.wrapper.startReq(req_id, contract, container=container)  # type: ignore[no-untyped-call]
    errors: list[tuple[int, str]] = []
    finished = asyncio.Event()

    def on_error(error_req_id: int, code: int, text: str, _contract: Any) -> None:
        if error_req_id == req_id:
            errors.append((code, text))
            finished.set()

    answered.add_done_callback(lambda _: finished.set())
    ib.errorEvent += on_error
    try:
        ib.client.reqHistoricalData(
            req_id, contract, _end(request.end), duration, bar_size, request.what_to_show,
            request.use_rth, _EPOCH_SECONDS, False, [],
        )  # type: ignore[no-untyped-call]  # fmt: skip
        try:
            await finished.wait()
        except asyncio.CancelledError:
            if ib.isConnected():
                ib.client.cancelHistoricalData(req_id)  # type: ignore[no-untyped-call]
            raise
    finally:
        ib.errorEvent -= on_error
        if not answered.done():  # a 321 (a warning to ib_async) leaves the request open
            ib.wrapper._endReq(req_id)  # type: ignore[no-untyped-call]
    if errors:
        code, text = errors[0]
        raise BrokerRejectedError(code, text)
    return [_bar(bar, request.what_to_show) for bar in container]


def _end(end: dt.datetime | None) -> str:
    """IBKR's ``yyyyMMdd-HH:mm:ss`` in UTC; empty: up to now."""
    return end.astimezone(dt.UTC).strftime("%Y%m%d-%H:%M:%S") if end is not None else ""


def _bar(bar: BarData, what_to_show: str) -> Bar:
    when = bar.date
    if not isinstance(when, dt.datetime):  # daily bars may come as a date
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    trades = what_to_show == "TRADES"

    def extra(value: float) -> Any:
        return dec(value) if trades and not math.isnan(value) and value >= 0 else None

    return Bar(
        start=when.astimezone(dt.UTC), open=dec(bar.open), high=dec(bar.high), low=dec(bar.low),
        close=dec(bar.close), volume=extra(bar.volume), wap=extra(bar.average),
        count=bar.barCount if trades and bar.barCount >= 0 else None,
    )  # fmt: skip
