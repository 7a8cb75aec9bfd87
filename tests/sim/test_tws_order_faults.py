"""Order faults of the simulated gateway (held acks, lost orders), seen by unmodified ib_async."""

from __future__ import annotations

import httpx
from conftest import Connect
from ib_async import IB, LimitOrder, MarketOrder, Stock

from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.http import create_app
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import AAPL_CON_ID
from tests.support.polling import eventually

CONTRACT = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)


async def round_trip(ib: IB) -> None:
    """A request answered after everything the gateway sent before it (one TCP stream)."""
    await ib.reqCurrentTimeAsync()


async def test_held_acks_order_reaches_the_venue_but_the_client_hears_nothing(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect(client_id=3)
    control = TwsControl(tws)
    control.hold_acks(True)
    trade = ib.placeOrder(CONTRACT, MarketOrder("BUY", 7, orderRef="held"))
    await eventually(lambda: control.orders_with_ref("held") == 1)
    await round_trip(ib)
    assert trade.orderStatus.status == "PendingSubmit" and trade.fills == []
    # openOrder + orderStatus (Submitted), execDetails + commissionReport, openOrder + orderStatus
    assert control.counters()["held_acks"] == 6
    ib.disconnect()  # the placing client goes away: its withheld events die with it

    control.hold_acks(False)
    again = await connect(client_id=3)
    completed = await again.reqCompletedOrdersAsync(apiOnly=True)
    assert [(t.order.orderRef, t.orderStatus.status) for t in completed] == [("held", "Filled")]
    fills = await again.reqExecutionsAsync()
    assert [(f.execution.orderRef, f.execution.shares) for f in fills] == [("held", 7.0)]
    assert control.counters()["held_acks"] == 0


async def test_released_acks_reach_a_client_still_connected(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect()
    control = TwsControl(tws)
    control.hold_acks(True)
    trade = ib.placeOrder(CONTRACT, LimitOrder("BUY", 1, 1.00, orderRef="resting"))
    await eventually(lambda: control.orders_with_ref("resting") == 1)
    await round_trip(ib)
    assert trade.orderStatus.status == "PendingSubmit"
    control.hold_acks(False)
    await eventually(lambda: trade.orderStatus.status == "Submitted")
    assert trade.order.permId > 0


async def test_dropped_order_never_reaches_the_venue(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    control = TwsControl(tws)
    control.drop_orders(1)
    lost = ib.placeOrder(CONTRACT, MarketOrder("BUY", 1, orderRef="lost"))
    kept = ib.placeOrder(CONTRACT, MarketOrder("BUY", 1, orderRef="kept"))
    await eventually(kept.isDone)
    await round_trip(ib)
    assert lost.orderStatus.status == "PendingSubmit" and lost.log[-1].errorCode == 0
    assert (control.orders_with_ref("lost"), control.orders_with_ref("kept")) == (0, 1)
    assert control.counters()["dropped_orders"] == 1
    open_orders = await ib.reqAllOpenOrdersAsync()
    completed = await ib.reqCompletedOrdersAsync(apiOnly=True)
    refs = [t.order.orderRef for t in [*open_orders, *completed]]
    assert refs == ["kept"]


async def test_order_faults_over_http(tws: TwsServer) -> None:
    control = TwsControl(tws)
    transport = httpx.ASGITransport(app=create_app(control))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        assert (await http.post("/faults/hold-acks", json={"enabled": True})).status_code == 200
        assert tws.faults.hold_acks
        assert (await http.post("/faults/drop-orders", json={"count": 2})).status_code == 200
        assert tws.faults.drop_orders == 2
        assert (await http.post("/faults/drop-orders", json={"count": -1})).status_code == 422
        counters = (await http.get("/counters")).json()
        assert (counters["held_acks"], counters["dropped_orders"]) == (0, 0)
        await http.post("/faults/hold-acks", json={"enabled": False})
        assert not tws.faults.hold_acks
