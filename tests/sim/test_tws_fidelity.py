"""The TWS simulator answers as IBKR does where clients depend on it (ib_async, unmodified)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from conftest import Connect
from ib_async import IB, MarketOrder, Stock

from sluice_sim.tws.handlers.history import BAD_BAR_SIZE, MAX_BARS, PACING
from sluice_sim.tws.handlers.orders import MISSING_EXCHANGE
from sluice_sim.tws.history_pacing import HistoryPacing
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.polling import eventually

EASTERN = ZoneInfo("US/Eastern")
NO_EXCHANGE = Stock("AAPL", "", "USD", conId=AAPL_CON_ID)


def _errors(ib: IB) -> list[tuple[int, int, str]]:
    seen: list[tuple[int, int, str]] = []
    ib.errorEvent += lambda req_id, code, text, _contract: seen.append((req_id, code, text))
    return seen


async def test_what_if_without_exchange_is_321(connect: Connect) -> None:
    ib = await connect()
    errors = _errors(ib)
    # ib_async treats 321 as a warning and keeps waiting: the error is what IBKR sends.
    task = asyncio.ensure_future(ib.whatIfOrderAsync(NO_EXCHANGE, MarketOrder("BUY", 1)))
    await eventually(lambda: errors, what="an error for the what-if")
    task.cancel()
    assert [(code, text) for _, code, text in errors] == [(321, MISSING_EXCHANGE)]
    assert MISSING_EXCHANGE.startswith("Error validating request.-'")


async def test_place_order_without_exchange_is_321(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    errors = _errors(ib)
    trade = ib.placeOrder(NO_EXCHANGE, MarketOrder("BUY", 1))
    await eventually(lambda: errors, what="an error for the order")
    assert errors == [(trade.order.orderId, 321, MISSING_EXCHANGE)]
    assert trade.orderStatus.status == "ValidationError"
    assert not list(tws.venue.store)


async def test_historical_bars_arrive_and_are_deterministic(connect: Connect) -> None:
    ib = await connect()
    aapl = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    ask = ib.reqHistoricalDataAsync
    bars = await ask(aapl, "", "1 D", "1 hour", "TRADES", useRTH=False, timeout=5)
    assert len(bars) == 24
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)
    assert all(b.volume > 0 and b.barCount > 0 for b in bars)
    assert [b.date for b in bars] == sorted(b.date for b in bars)
    again = await ask(aapl, "", "1 D", "1 hour", "TRADES", useRTH=False, timeout=5)
    assert [(b.date, b.close) for b in again] == [(b.date, b.close) for b in bars]
    daily = await ask(aapl, "", "5 D", "1 day", "MIDPOINT", useRTH=True, timeout=5)
    assert len(daily) == 5 and all(b.volume == -1 for b in daily)
    end = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    dated = await ask(aapl, end, "2 D", "1 hour", "MIDPOINT", useRTH=True, timeout=5)
    assert len(dated) == 48 and dated[-1].date == datetime(2026, 12, 1, 9, 0, tzinfo=EASTERN)
    epoch = await ask(aapl, "", "60 S", "1 min", "MIDPOINT", useRTH=True, formatDate=2, timeout=5)
    assert len(epoch) == 1 and epoch[0].date.tzinfo is not None


async def test_historical_refusals_are_ibkrs_errors(connect: Connect) -> None:
    ib = await connect()
    errors = _errors(ib)
    aapl = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    ask = ib.reqHistoricalDataAsync
    # 321 only, as IBKR sends it; ib_async counts 321 as a warning and would wait on
    task = asyncio.ensure_future(ask(aapl, "", "1 D", "7 mins", "TRADES", useRTH=True))
    await eventually(lambda: errors, what="an error for the bad bar size")
    task.cancel()
    assert [e[1:] for e in errors] == [(321, BAD_BAR_SIZE)]
    assert len(await ask(aapl, "", "60 S", "5 secs", "TRADES", useRTH=True, timeout=5)) == 12
    # the same small-bar request again within 15 s breaks IBKR's pacing rules: 162 ends it
    assert len(await ask(aapl, "", "60 S", "5 secs", "TRADES", useRTH=True, timeout=5)) == 0
    assert errors[-1][1:] == (162, PACING)


def test_history_pacing_rules() -> None:
    now = [0.0]
    pacing = HistoryPacing(clock=lambda: now[0])
    assert pacing.admit((1, "TRADES", "a")) and not pacing.admit((1, "TRADES", "a"))
    now[0] = 15.0
    assert pacing.admit((1, "TRADES", "a"))  # identical again after 15 s
    for n in range(4):
        assert pacing.admit((1, "TRADES", n))
    assert not pacing.admit((1, "TRADES", "sixth within 2 s"))
    assert pacing.admit((2, "TRADES", "another contract"))
    for n in range(53):  # 60 in all, three seconds apart: only the ten-minute rule binds
        now[0] = 20.0 + 3 * n
        assert pacing.admit((3 + n, "TRADES", "x"))
    now[0] = 200.0
    assert not pacing.admit((99, "TRADES", "61st within ten minutes"))
    now[0] = 616.0  # the first has left the window
    assert pacing.admit((99, "TRADES", "61st within ten minutes"))


async def test_historical_over_2000_bars_is_162(connect: Connect) -> None:
    ib = await connect()
    errors = _errors(ib)
    aapl = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    ask = ib.reqHistoricalDataAsync
    assert not await ask(aapl, "", "1 D", "30 secs", "TRADES", useRTH=True, timeout=5)
    assert [e[1:] for e in errors] == [(162, MAX_BARS)]


async def test_req_pnl_answers_at_once_and_after_each_fill(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect()
    seen: list[tuple[float, float, float]] = []
    ib.pnlEvent += lambda p: seen.append((p.dailyPnL, p.unrealizedPnL, p.realizedPnL))
    pnl = ib.reqPnL(ACCOUNT)
    await eventually(lambda: seen, what="the PnL on subscribing")
    assert seen == [(0.0, 0.0, 0.0)] and pnl.account == ACCOUNT
    trade = ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID), MarketOrder("BUY", 10))
    await eventually(lambda: trade.orderStatus.status == "Filled", what="the fill")
    await eventually(lambda: len(seen) > 1, what="the PnL after the fill")
    values = tws.venue.account_values(ACCOUNT)
    daily, unrealized, realized = seen[-1]
    assert (unrealized, realized) == (float(values["UnrealizedPnL"]), 0.0)
    assert daily == unrealized + realized
    ib.cancelPnL(ACCOUNT)
    await ib.reqCurrentTimeAsync()  # the cancel is read before anything after it
    assert all(not session.pnl_requests for session in tws.sessions.values())
