"""The pipelined desk: places run beside the next write-aheads, one broker order each, and a
cancel or amend of an order still being placed waits for that place (simulator, real TCP)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_proto import CancelOrder
from sluice_proto.orders import (
    CancelRejected,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
    OrderSubmitting,
)
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from sluice_sim.venue.orders import OrderStatus
from tests.order_router.conftest import StartRouter
from tests.support.gateway import ACCOUNT
from tests.support.orders import amend, at_venue, kinds, resting, send
from tests.support.polling import eventually

TAKEN_UP_S = 0.5
"""Time for the router to take a command up while a place waits for IBKR's answer."""


async def placing(broker: MemoryBroker, control: TwsControl, coid: str) -> None:
    """Send a resting order with IBKR's answers withheld: written ahead and at the venue, its
    place waits for the acknowledgement."""
    control.hold_acks(True)
    await send(broker, resting(coid))
    await eventually(lambda: control.orders_with_ref(coid) == 1, what="at the venue")
    assert OrderSubmitting in kinds(broker, coid) and OrderAccepted not in kinds(broker, coid)


async def test_an_amend_of_an_order_being_placed_waits_for_the_place(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl, tws: TwsServer
) -> None:
    await start_router()
    await placing(broker, control, "race-amend")
    await send(broker, amend("race-amend", limit_price=Decimal("1.50")))
    await asyncio.sleep(TAKEN_UP_S)
    control.hold_acks(False)
    await eventually(lambda: OrderAmended in kinds(broker, "race-amend"))
    assert OrderAmendRejected not in kinds(broker, "race-amend")  # not "still in doubt"
    [order] = at_venue(tws.venue, "race-amend")
    assert order.spec.limit_price == Decimal("1.50")


async def test_a_cancel_of_an_order_being_placed_waits_for_the_place(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl, tws: TwsServer
) -> None:
    await start_router()
    await placing(broker, control, "race-cancel")
    await send(broker, CancelOrder(client_order_id="race-cancel", account=ACCOUNT))
    await asyncio.sleep(TAKEN_UP_S)
    [order] = at_venue(tws.venue, "race-cancel")
    assert order.status == OrderStatus.SUBMITTED  # the cancel waits for IBKR's answer
    control.hold_acks(False)
    await eventually(lambda: OrderCancelled in kinds(broker, "race-cancel"))
    events = kinds(broker, "race-cancel")
    assert CancelRejected not in events
    assert events.index(OrderAccepted) < events.index(OrderCancelled)
    assert control.orders_with_ref("race-cancel") == 1


async def test_a_burst_goes_out_one_broker_order_each_with_places_bounded(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl, tws: TwsServer
) -> None:
    router = await start_router(pacing_msgs_per_s=40.0)
    coids = [f"burst-{n}" for n in range(40)]
    for coid in coids:
        await send(broker, resting(coid))
    await eventually(lambda: all(OrderAccepted in kinds(broker, c) for c in coids), within=30)
    assert all(control.orders_with_ref(c) == 1 for c in coids)
    assert all(kinds(broker, c).count(OrderSubmitting) == 1 for c in coids)
    assert tws.venue.store.reused_order_ids() == []
    assert sum(tws.counters.pacing_violations.values()) == 0
    assert not router.orders.pending()
