"""An order in doubt while the link stays up is resolved without a reconnect."""

from __future__ import annotations

from sluice_bus import MemoryBroker
from sluice_proto.orders import OrderFilled, OrderHeld, OrderSubmitted, OrderSubmitting
from sluice_proto.session import ConnectionReport
from sluice_proto.topics import SESSION_REPORTS
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually


async def test_an_unacknowledged_order_is_reconciled_and_sent_once_while_the_link_stays_up(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router(ack_timeout_s=0.3)
    control.drop_orders(1)  # IBKR never hears of the first placeOrder; the socket stays up
    await send(broker, approved("doubt-1"))
    await eventually(lambda: OrderFilled in kinds(broker, "doubt-1"), within=10)
    assert control.orders_with_ref("doubt-1") == 1
    assert control.server.counters.dropped_orders == 1
    kinds_seen = kinds(broker, "doubt-1")
    assert kinds_seen[:2] == [OrderSubmitting, OrderHeld]  # reported as held while in doubt
    attempts = [e.attempt for e in of(broker, "doubt-1") if isinstance(e, OrderSubmitting)]
    assert attempts == [1, 2]
    assert kinds_seen.count(OrderSubmitted) == 1
    reports = [r for r in topic_events(broker, SESSION_REPORTS) if isinstance(r, ConnectionReport)]
    assert [r.status for r in reports] == ["connected"]  # no reconnect did it


async def test_an_order_held_back_by_ibkr_is_adopted_not_resent(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router(ack_timeout_s=0.3)
    control.hold_acks(True)  # IBKR has (and fills) the order; the router hears nothing back
    await send(broker, approved("doubt-2"))
    await eventually(lambda: OrderSubmitted in kinds(broker, "doubt-2"), within=10)
    control.hold_acks(False)
    await eventually(lambda: OrderFilled in kinds(broker, "doubt-2"))
    assert control.orders_with_ref("doubt-2") == 1
    assert kinds(broker, "doubt-2").count(OrderSubmitting) == 1  # found at IBKR: never resent
    assert kinds(broker, "doubt-2").count(OrderSubmitted) == 1
