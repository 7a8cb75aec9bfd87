"""The simulated gateway's daily restart, as IBKR's: a new day, seen through unmodified ib_async."""

from __future__ import annotations

from conftest import Connect
from ib_async import IB, LimitOrder, MarketOrder, Stock, Trade

from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import AAPL_CON_ID
from tests.support.polling import eventually

CONTRACT = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)


async def _filled(ib: IB, ref: str) -> Trade:
    trade = ib.placeOrder(CONTRACT, MarketOrder("BUY", 3, orderRef=ref))
    await eventually(trade.isDone)
    return trade


def _resting(tws: TwsServer, ib: IB, ref: str, tif: str) -> Trade:
    bid = float(tws.venue.quotes.quote(AAPL_CON_ID).bid)
    return ib.placeOrder(CONTRACT, LimitOrder("BUY", 1, round(bid - 5, 2), orderRef=ref, tif=tif))


async def test_completed_orders_and_executions_are_day_scoped(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect(client_id=3)
    await _filled(ib, "yesterday")
    assert await ib.reqExecutionsAsync()

    await TwsControl(tws).restart(window=0.05)
    again = await connect(client_id=4)
    assert await again.reqCompletedOrdersAsync(apiOnly=True) == []
    assert await again.reqExecutionsAsync() == []
    today = await _filled(again, "today")
    completed = await again.reqCompletedOrdersAsync(apiOnly=True)
    assert [t.order.orderRef for t in completed] == ["today"] and today.fills


async def test_next_valid_id_rolls_back_and_an_old_id_is_accepted_again(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect(client_id=3)
    used = [(await _filled(ib, ref)).order.orderId for ref in ("a", "b", "c")]

    await TwsControl(tws).restart(window=0.05)
    again = IB()  # a fresh client: its id sequence comes from nextValidId alone
    await again.connectAsync("127.0.0.1", tws.port, clientId=3, timeout=5)
    try:
        # rolled back to 1 (ib_async's start-up requests take a few): used ids are offered again
        assert again.client.getReqId() < max(used)
        reused = again.placeOrder(CONTRACT, MarketOrder("BUY", 1, orderId=used[0], orderRef="d"))
        await eventually(reused.isDone)
        assert reused.orderStatus.status == "Filled"  # IBKR forgot the id: the trap is real
        assert TwsControl(tws).reused_order_ids() == [(3, used[0])]
    finally:
        again.disconnect()


async def test_gtc_orders_stay_open_and_day_orders_expire(tws: TwsServer, connect: Connect) -> None:
    ib = await connect(client_id=3)
    gtc, day = _resting(tws, ib, "gtc", "GTC"), _resting(tws, ib, "day", "DAY")
    await eventually(lambda: gtc.orderStatus.status == day.orderStatus.status == "Submitted")

    await TwsControl(tws).restart(window=0.05)
    again = await connect(client_id=4)
    open_refs = [t.order.orderRef for t in await again.reqAllOpenOrdersAsync()]
    assert open_refs == ["gtc"]
    assert await again.reqCompletedOrdersAsync(apiOnly=True) == []  # the expiry was yesterday's
    assert again.client.getReqId() > gtc.order.orderId  # never the id of an order still open
