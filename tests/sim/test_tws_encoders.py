"""Every TWS encoder, round-tripped through ib_async 2.1.0's own Decoder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ib_async.util import UNSET_DOUBLE
from ib_recorder import decode

from sluice_sim.tws.encode import account, executions, market, orders, session
from sluice_sim.venue import Execution, OrderSpec, OrderStatus, PaperVenue, VenueConfig, VenueOrder

D = Decimal
VENUE = PaperVenue(VenueConfig())
AAPL = VENUE.universe.get(265598)
ES = VENUE.universe.get(637533641)
NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
SPEC = OrderSpec(
    7, 42, "DU1234567", AAPL.con_id, "BUY", D(10), "LMT", D("189.5"), None, "GTC", "ref-1"
)


def test_session_messages() -> None:
    assert decode(session.managed_accounts(["DU1", "DU2"])) == ("managedAccounts", ("DU1,DU2",))
    assert decode(session.next_valid_id(7)) == ("nextValidId", (7,))
    assert decode(session.current_time(1_700_000_000)) == ("currentTime", (1_700_000_000,))
    assert decode(session.error(3, 201, "rejected", "")) == ("error", (3, 201, "rejected", ""))
    assert decode(session.market_data_type(5, 1)) == ("marketDataType", (5, 1))


def test_account_messages() -> None:
    assert decode(account.account_value("NetLiquidation", "100.5", "USD", "DU1")) == (
        "updateAccountValue",
        ("NetLiquidation", "100.5", "USD", "DU1"),
    )
    name, (c, pos, price, value, avg, unreal, real, acct) = decode(
        account.portfolio(
            ES,
            account="DU1",
            position=D(2),
            price=D("5300.25"),
            avg_cost=D("265000"),
            unrealized=D(25),
            realized=D(0),
        )
    )
    assert name == "updatePortfolio" and c.conId == ES.con_id and c.multiplier == "50"
    assert (pos, price, value, avg, unreal, real, acct) == (
        2.0, 5300.25, 530025.0, 265000.0, 25.0, 0.0, "DU1"
    )  # fmt: skip
    assert decode(account.account_time("15:30")) == ("updateAccountTime", ("15:30",))
    assert decode(account.account_download_end("DU1")) == ("accountDownloadEnd", ("DU1",))
    name, (acct, c, qty, cost) = decode(account.position("DU1", AAPL, D(10), D("189.5")))
    assert (name, acct, c.symbol, c.secType, c.exchange, qty, cost) == (
        "position", "DU1", "AAPL", "STK", "SMART", 10.0, 189.5
    )  # fmt: skip
    assert decode(account.position_end()) == ("positionEnd", ())
    name, (req, acct, model, c, qty, cost) = decode(
        account.position_multi(9, "DU1", AAPL, D(-5), D(190))
    )
    assert (name, req, acct, model, c.conId, qty, cost) == (
        "positionMulti", 9, "DU1", "", 265598, -5.0, 190.0
    )  # fmt: skip
    assert decode(account.position_multi_end(9)) == ("positionMultiEnd", (9,))
    assert decode(account.account_summary(4, "DU1", "BuyingPower", "1.5", "USD")) == (
        "accountSummary",
        (4, "DU1", "BuyingPower", "1.5", "USD"),
    )
    assert decode(account.account_summary_end(4)) == ("accountSummaryEnd", (4,))
    assert decode(account.account_update_multi(4, "DU1", "CashBalance", "2", "USD")) == (
        "accountUpdateMulti",
        (4, "DU1", "", "CashBalance", "2", "USD"),
    )
    assert decode(account.account_update_multi_end(4)) == ("accountUpdateMultiEnd", (4,))


def test_market_messages() -> None:
    assert decode(market.tick_price(3, market.BID, D("189.99"), D(300))) == (
        "priceSizeTick",
        (3, 1, 189.99, 300.0),
    )
    assert decode(market.tick_size(3, market.VOLUME, D(1200))) == ("tickSize", (3, 8, 1200.0))
    assert decode(market.tick_req_params(3, D("0.01"))) == ("tickReqParams", (3, 0.01, "", 3))
    assert decode(market.tick_snapshot_end(3)) == ("tickSnapshotEnd", (3,))
    assert decode(market.contract_details_end(3)) == ("contractDetailsEnd", (3,))


@pytest.mark.parametrize("con_id", sorted(VENUE.universe.instruments))
def test_contract_details(con_id: int) -> None:
    inst = VENUE.universe.get(con_id)
    name, (req_id, cd) = decode(market.contract_details(8, inst))
    c = cd.contract
    assert (name, req_id) == ("contractDetails", 8)
    assert (c.conId, c.symbol, c.secType, c.exchange, c.currency) == (
        inst.con_id, inst.symbol, inst.sec_type, inst.exchange, inst.currency
    )  # fmt: skip
    assert (c.localSymbol, c.tradingClass, c.lastTradeDateOrContractMonth) == (
        inst.local_symbol, inst.trading_class, inst.last_trade_date
    )  # fmt: skip
    assert D(str(cd.minTick)) == inst.min_tick and cd.longName == inst.long_name
    assert c.primaryExchange == inst.primary_exchange
    assert c.multiplier == ("" if inst.multiplier == 1 else str(inst.multiplier))
    assert D(str(cd.minSize)) == inst.min_size
    assert (D(str(c.strike)), c.right) == (inst.strike, inst.right)


def test_open_order_and_status() -> None:
    fields = orders.open_order(SPEC, AAPL, 1001, "Submitted")
    assert len(fields) == 128  # the layout for server versions 170..176
    name, (order_id, c, o, st) = decode(fields)
    assert (name, order_id, c.conId, c.symbol) == ("openOrder", 42, 265598, "AAPL")
    assert (o.action, o.totalQuantity, o.orderType, o.lmtPrice) == ("BUY", 10.0, "LMT", 189.5)
    assert (o.auxPrice, o.tif, o.account, o.orderRef) == (UNSET_DOUBLE, "GTC", "DU1234567", "ref-1")
    assert (o.clientId, o.permId, o.whatIf, st.status) == (7, 1001, False, "Submitted")

    order = VenueOrder(SPEC, 1001, NOW, OrderStatus.SUBMITTED, filled=D(4), avg_fill_price=D(189))
    assert decode(orders.order_status(order)) == (
        "orderStatus",
        (42, "Submitted", 4.0, 6.0, 189.0, 1001, 0, 0.0, 7, "", 0.0),
    )
    assert decode(orders.open_order_end()) == ("openOrderEnd", ())


def test_what_if_open_order_carries_margin_and_commission() -> None:
    what_if = VENUE.what_if(SPEC)
    _, (_, _, o, st) = decode(orders.open_order(SPEC, AAPL, 0, "PreSubmitted", what_if))
    assert o.whatIf is True
    assert D(st.initMarginChange) == what_if.init_margin_change > 0
    assert D(str(st.commission)) == what_if.commission and st.commissionCurrency == "USD"


def test_completed_order() -> None:
    order = VenueOrder(
        replace(SPEC, order_type="MKT", limit_price=None),
        1001,
        NOW,
        OrderStatus.FILLED,
        filled=D(10),
        completed_at=NOW,
        completed_status="Filled Size: 10",
    )
    name, (c, o, st) = decode(orders.completed_order(order, AAPL))
    assert (name, c.conId, o.permId, o.orderRef, o.filledQuantity) == (
        "completedOrder", 265598, 1001, "ref-1", 10.0
    )  # fmt: skip
    assert (st.status, st.completedTime, st.completedStatus) == (
        "Filled", "20260302 15:30:00 UTC", "Filled Size: 10"
    )  # fmt: skip
    assert decode(orders.completed_orders_end()) == ("completedOrdersEnd", ())


def test_execution_and_commission() -> None:
    execution = Execution(
        "0001.0001.01.01", 1001, 42, 7, ES.con_id, "DU1", "BOT", D(2), D("5300.25"), D(2),
        D("5300.25"), NOW, "ref-1", "CME", D("1.70"), "USD", None,
    )  # fmt: skip
    name, (req_id, c, ex) = decode(executions.exec_details(-1, execution, ES))
    assert (name, req_id, c.conId, c.multiplier, c.exchange) == (
        "execDetails", -1, ES.con_id, "50", "CME"
    )  # fmt: skip
    assert (ex.execId, ex.orderId, ex.permId, ex.clientId, ex.side) == (
        "0001.0001.01.01", 42, 1001, 7, "BOT"
    )  # fmt: skip
    assert (ex.shares, ex.price, ex.orderRef, ex.time) == (2.0, 5300.25, "ref-1", NOW)
    assert decode(executions.exec_details_end(5)) == ("execDetailsEnd", (5,))
    name, (report,) = decode(executions.commission_report(execution))
    assert (name, report.execId, report.commission, report.currency) == (
        "commissionReport", "0001.0001.01.01", 1.7, "USD"
    )  # fmt: skip
