"""The router on the in-memory bus against the TWS simulator (ib_async over TCP): a bracket is
written ahead leg by leg and sent as one unit; a trailing stop and a GTD order reach the venue
with their terms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from sluice_bus import MemoryBroker
from sluice_proto.order_terms import child_order_id
from sluice_proto.orders import OrderAccepted, OrderCancelled, OrderFilled, OrderSubmitting
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.orders import accepted, approved, kinds, of, send
from tests.support.polling import eventually

D = Decimal
AAPL = 265598


async def test_a_bracket_is_written_ahead_per_leg_and_one_child_cancels_the_other(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    control.hold_prices(True)
    control.set_mid(AAPL, D(100))
    await start_router()
    bracket = approved("br", order_type="LMT", limit_price=D(99), take_profit=D(110),
                       stop_loss=D(95))  # fmt: skip
    await send(broker, bracket)
    tp, sl = child_order_id("br", "tp"), child_order_id("br", "sl")
    for coid in ("br", tp, sl):
        await eventually(partial(accepted, broker, coid))
    await send(broker, bracket)  # a redelivery: no second parent, no second child
    [written] = [e for e in of(broker, sl) if isinstance(e, OrderSubmitting)]
    assert written.order is not None and written.order.parent_client_order_id == "br"
    assert (written.order_type, written.stop_price, written.side) == ("STP", D(95), "SELL")

    control.set_mid(AAPL, D("98.5"))
    await eventually(lambda: OrderFilled in kinds(broker, "br"))
    control.set_mid(AAPL, D(111))
    await eventually(lambda: OrderFilled in kinds(broker, tp))
    await eventually(lambda: OrderCancelled in kinds(broker, sl))
    assert [control.orders_with_ref(c) for c in ("br", tp, sl)] == [1, 1, 1]


async def test_a_trailing_stop_follows_the_quote_and_triggers(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    control.hold_prices(True)
    control.set_mid(AAPL, D(100))
    await start_router()
    await send(broker, approved("tr", side="SELL", order_type="TRAIL", trailing_amount=D(1)))
    await eventually(lambda: OrderAccepted in kinds(broker, "tr"))
    control.set_mid(AAPL, D(103))
    control.set_mid(AAPL, D("102.5"))
    assert OrderFilled not in kinds(broker, "tr")
    control.set_mid(AAPL, D("101.5"))
    await eventually(lambda: OrderFilled in kinds(broker, "tr"))
    filled = of(broker, "tr")[-1]
    assert isinstance(filled, OrderFilled) and filled.fill.price > D(101)


async def test_gtd_and_outside_rth_reach_the_venue(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    good_till = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    await start_router()
    await send(broker, approved("gtd", order_type="LMT", limit_price=D("1.00"), tif="GTD",
                                good_till=good_till, outside_rth=True))  # fmt: skip
    await eventually(lambda: OrderAccepted in kinds(broker, "gtd"))
    [order] = [o for o in tws.venue.store if o.spec.order_ref == "gtd"]
    assert (order.spec.tif, order.spec.good_till, order.spec.outside_rth) == (
        "GTD",
        good_till,
        True,
    )


async def test_moc_fills_at_the_close_and_opg_at_the_open(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, approved("moc", order_type="MOC"))
    await send(broker, approved("opg", side="SELL", order_type="MKT", tif="OPG"))
    for coid in ("moc", "opg"):
        await eventually(partial(accepted, broker, coid))
    assert control.auction("close") == 1
    await eventually(lambda: OrderFilled in kinds(broker, "moc"))
    assert OrderFilled not in kinds(broker, "opg")
    assert control.auction("open") == 1
    await eventually(lambda: OrderFilled in kinds(broker, "opg"))
