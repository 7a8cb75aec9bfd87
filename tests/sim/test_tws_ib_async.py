"""Unmodified ib_async 2.1.0 against the simulator over real TCP."""

from __future__ import annotations

from conftest import Connect
from ib_async import Forex, Future, LimitOrder, MarketOrder, Stock

from sluice_sim.tws.server import TwsServer
from tests.support.gateway import AAPL_CON_ID
from tests.support.polling import eventually


async def test_connect_syncs_accounts_and_time(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    assert ib.managedAccounts() == ["DU1234567"]
    assert ib.client.serverVersion() == 176
    now = await ib.reqCurrentTimeAsync()
    assert now.year >= 2025
    values = {v.tag: v.value for v in ib.accountValues() if v.currency == "USD"}
    assert float(values["NetLiquidation"]) == 1_000_000


async def test_qualify_contracts(connect: Connect) -> None:
    ib = await connect()
    aapl, eur, es = Stock("AAPL", "SMART", "USD"), Forex("EURUSD"), Future("ES", "202612", "CME")
    qualified = await ib.qualifyContractsAsync(aapl, eur, es)
    assert [c.conId for c in qualified if c] == [AAPL_CON_ID, 12087792, 637533641]
    assert es.localSymbol == "ESZ6" and es.multiplier == "50"
    assert await ib.qualifyContractsAsync(Stock("NOPE", "SMART", "USD")) == [None]


async def test_what_if_order(connect: Connect) -> None:
    ib = await connect()
    state = await ib.whatIfOrderAsync(
        Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID), MarketOrder("BUY", 100)
    )
    assert float(state.initMarginChange) > 0
    assert state.commission == 1.0 and state.commissionCurrency == "USD"


async def test_limit_rests_market_fills_with_commission(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    bid = float(tws.venue.quotes.quote(AAPL_CON_ID).bid)
    resting = ib.placeOrder(contract, LimitOrder("BUY", 10, round(bid - 5, 2), orderRef="rest-1"))
    await eventually(lambda: resting.orderStatus.status == "Submitted")
    assert resting.order.permId > 0

    filled = ib.placeOrder(contract, MarketOrder("BUY", 10, orderRef="mkt-1"))
    await eventually(
        lambda: filled.isDone() and filled.fills and filled.fills[0].commissionReport.commission
    )
    assert filled.orderStatus.status == "Filled" and filled.orderStatus.filled == 10
    assert filled.fills[0].commissionReport.commission == 1.0
    await eventually(lambda: any(p.position == 10 for p in ib.positions()))

    ib.cancelOrder(resting.order)
    await eventually(lambda: resting.orderStatus.status == "Cancelled")
    assert tws.venue.store.orders_with_ref("rest-1") == 1


async def test_global_cancel_cancels_every_clients_orders(tws: TwsServer, connect: Connect) -> None:
    mine, theirs = await connect(1), await connect(2)
    contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    placed = [ib.placeOrder(contract, LimitOrder("BUY", 1, 1.0)) for ib in (mine, theirs)]
    await eventually(lambda: all(t.orderStatus.status == "Submitted" for t in placed))

    mine.reqGlobalCancel()  # type: ignore[no-untyped-call]
    await eventually(lambda: all(t.orderStatus.status == "Cancelled" for t in placed))
    assert tws.venue.store.open_orders() == []


async def test_market_data_streaming_and_snapshot(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    snap = await ib.reqTickersAsync(contract)
    quote = tws.venue.quotes.quote(AAPL_CON_ID)
    assert (snap[0].bid, snap[0].ask) == (float(quote.bid), float(quote.ask))

    ticker = ib.reqMktData(contract)
    await eventually(lambda: ticker.bid == float(quote.bid))
    moved = tws.venue.quotes.set_mid(AAPL_CON_ID, quote.bid + 3)
    await eventually(lambda: ticker.bid == float(moved.bid))
    ib.cancelMktData(contract)


async def test_account_summary_and_positions(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    summary = {v.tag: v.value for v in await ib.accountSummaryAsync()}
    assert summary["AccountType"] == "INDIVIDUAL" and float(summary["BuyingPower"]) > 0
    trade = ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID), MarketOrder("SELL", 5))
    await eventually(trade.isDone)
    positions = await ib.reqPositionsAsync()
    assert [(p.account, p.contract.conId, p.position) for p in positions] == [
        ("DU1234567", AAPL_CON_ID, -5.0)
    ]


async def test_completed_orders_and_executions_survive_reconnect(connect: Connect) -> None:
    first = await connect(client_id=3)
    trade = first.placeOrder(
        Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID), MarketOrder("BUY", 7, orderRef="ref-x")
    )
    await eventually(trade.isDone)
    first.disconnect()

    second = await connect(client_id=3)
    completed = await second.reqCompletedOrdersAsync(apiOnly=True)
    assert [(t.order.orderRef, t.orderStatus.status) for t in completed] == [("ref-x", "Filled")]
    fills = await second.reqExecutionsAsync()
    assert [(f.execution.orderRef, f.execution.shares) for f in fills] == [("ref-x", 7.0)]
    # ib_async attaches commission reports to the fills it synced at connect
    assert [f.commissionReport.commission for f in second.fills()] == [1.0]


async def test_place_order_again_under_its_id_modifies_it_and_a_filled_one_answers_104(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect()
    contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    trade = ib.placeOrder(contract, LimitOrder("BUY", 10, 1.0, orderRef="mod-1"))
    await eventually(lambda: trade.orderStatus.status == "Submitted")
    order_id, perm_id = trade.order.orderId, trade.order.permId
    modified = LimitOrder("BUY", 12, 1.5, orderRef="mod-1", orderId=order_id, permId=perm_id)
    ib.placeOrder(contract, modified)  # ib_async keeps trade.order; openOrder updates it
    await eventually(lambda: (trade.order.lmtPrice, trade.order.totalQuantity) == (1.5, 12))
    [held] = [o for o in tws.venue.store if o.spec.order_ref == "mod-1"]
    assert (held.spec.order_id, held.perm_id, held.spec.limit_price) == (order_id, perm_id, 1.5)

    errors: list[tuple[int, int]] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append((req_id, code))
    tws.venue.quotes.set_mid(AAPL_CON_ID, held.spec.limit_price - 1)  # it fills at the venue
    await eventually(lambda: trade.orderStatus.status == "Filled")
    ib.client.placeOrder(order_id, contract, modified)  # ib_async itself refuses a done trade
    await eventually(lambda: (order_id, 104) in errors)
    assert tws.venue.store.orders_with_ref("mod-1") == 1
