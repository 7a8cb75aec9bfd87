"""A restarted router does not undo what it decided before: a rejected order stays rejected."""

from __future__ import annotations

from sluice_bus import MemoryBroker
from sluice_proto import Instrument
from sluice_proto.orders import OrderAccepted, OrderHeld, OrderRejected
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually


async def test_a_held_order_the_router_rejected_stays_rejected_after_a_restart(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    first = await start_router()
    control.lose_connectivity()
    await eventually(lambda: not first.readiness()[0])
    await send(broker, approved("held-nope", instrument=Instrument(symbol="NOPE")))
    await eventually(lambda: OrderHeld in kinds(broker, "held-nope"))
    control.restore_connectivity(data_lost=False)
    await eventually(lambda: OrderRejected in kinds(broker, "held-nope"))
    await first.stop()

    second = await start_router()
    record = second.orders.get("held-nope")
    assert record is not None and record.state == "rejected"  # not pending: never resent
    await send(broker, approved("marker"))
    await eventually(lambda: OrderAccepted in kinds(broker, "marker"))
    assert kinds(broker, "held-nope").count(OrderRejected) == 1
