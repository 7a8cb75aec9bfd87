"""Client requests as ib_async 2.1.0's own Client encodes them, decoded by the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ib_async import Contract, ExecutionFilter, Future, LimitOrder, MarketOrder, Order, Stock
from ib_async.client import Client
from ib_async.wrapper import Wrapper

from sluice_order_router.adapters.socket.mapping import to_order
from sluice_proto import ApprovedOrder, Instrument
from sluice_sim.tws import place_order, requests
from sluice_sim.tws.fields import SERVER_VERSION


class CapturingClient(Client):
    """ib_async's Client with the socket replaced by a list of sent field lists."""

    def __init__(self) -> None:
        super().__init__(Wrapper(None))  # type: ignore[arg-type]
        self._serverVersion = SERVER_VERSION
        self.sent: list[list[str]] = []

    def isConnected(self) -> bool:  # noqa: N802 (overrides ib_async)
        return True

    def sendMsg(self, msg: str) -> None:  # noqa: N802 (overrides ib_async)
        self.sent.append(msg.split("\0")[:-1])


@pytest.fixture
def client() -> CapturingClient:
    return CapturingClient()


@pytest.mark.parametrize(
    ("order", "limit", "stop"),
    [
        (LimitOrder("BUY", 10, 189.5, tif="GTC", orderRef="ref-1", account="DU1"), "189.5", None),
        (MarketOrder("SELL", 3, orderRef="r2", whatIf=True), None, None),
        (Order(action="BUY", totalQuantity=1, orderType="STP", auxPrice=200.0), None, "200.0"),
    ],
)
def test_place_order(
    client: CapturingClient, order: Order, limit: str | None, stop: str | None
) -> None:
    client.placeOrder(42, Stock("AAPL", "SMART", "USD", conId=265598), order)
    parsed = place_order.place_order(client.sent[0])
    assert (parsed.order_id, parsed.query.con_id, parsed.query.symbol) == (42, 265598, "AAPL")
    assert (parsed.action, parsed.quantity, parsed.order_type) == (
        order.action, Decimal(str(order.totalQuantity)), order.orderType
    )  # fmt: skip
    assert parsed.limit_price == (Decimal(limit) if limit else None)
    assert parsed.stop_price == (Decimal(stop) if stop else None)
    assert (parsed.order_ref, parsed.what_if, parsed.account) == (
        order.orderRef, order.whatIf, order.account
    )  # fmt: skip
    assert parsed.tif == (order.tif or "DAY") and parsed.transmit


def test_combo_is_refused(client: CapturingClient) -> None:
    client.placeOrder(1, Contract(secType="BAG", symbol="AAPL"), MarketOrder("BUY", 1))
    with pytest.raises(place_order.UnsupportedOrderError):
        place_order.place_order(client.sent[0])


def test_market_data_and_details_and_executions(client: CapturingClient) -> None:
    es = Future("ES", "202612", "CME")
    client.reqMktData(5, es, "", True, False, [])
    client.reqContractDetails(6, es)
    client.reqExecutions(7, ExecutionFilter(clientId=3, side="BUY"))
    md = requests.market_data(client.sent[0])
    assert (md.req_id, md.snapshot, md.query.symbol, md.query.last_trade_date) == (
        5, True, "ES", "202612"
    )  # fmt: skip
    req_id, query = requests.contract_details(client.sent[1])
    assert (req_id, query.sec_type, query.exchange) == (6, "FUT", "CME")
    flt = requests.executions(client.sent[2])
    assert (flt.req_id, flt.client_id, flt.side) == (7, 3, "BUY")


def test_place_order_carries_the_newer_order_terms(client: CapturingClient) -> None:
    """The router's own orders, through ib_async's encoder, read back by the simulator."""
    approved = ApprovedOrder(
        client_order_id="c1", strategy_id="s", signal_id="c1", account="DU1",
        instrument=Instrument(symbol="AAPL"), side="SELL", quantity=Decimal(10),
        order_type="TRAIL_LIMIT", trailing_amount=Decimal("1.5"), trailing_percent=None,
        trail_stop_price=Decimal(180), limit_price_offset=Decimal("0.25"), tif="GTD",
        good_till=datetime(2026, 12, 4, 21, 30, tzinfo=UTC), outside_rth=True,
        oca_group="pair", oca_type=2,
    )  # fmt: skip
    client.placeOrder(42, Stock("AAPL", "SMART", "USD", conId=265598), to_order(approved, 41))
    parsed = place_order.place_order(client.sent[0])
    assert (parsed.order_type, parsed.stop_price, parsed.trail_stop_price) == (
        "TRAIL LIMIT", Decimal("1.5"), Decimal(180)
    )  # fmt: skip
    assert (parsed.limit_price_offset, parsed.trailing_percent) == (Decimal("0.25"), None)
    assert (parsed.tif, parsed.good_till_date, parsed.outside_rth) == (
        "GTD", "20261204-21:30:00", True
    )  # fmt: skip
    assert (parsed.oca_group, parsed.oca_type, parsed.parent_id) == ("pair", 2, 41)
    assert parsed.transmit and parsed.order_ref == "c1"
