"""The router never sends an order past its expiry: on arrival, held, in doubt, after a restart."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_proto import ApprovedOrder, utc_now
from sluice_proto.orders import (
    OrderCancelled,
    OrderExpired,
    OrderHeld,
    OrderSubmitted,
    OrderSubmitting,
)
from sluice_proto.topics import ORDERS_EVENTS
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, expired_behind_a_burst, kinds, of, resting, send
from tests.support.polling import eventually


def expired(coid: str, **fields: object) -> ApprovedOrder:
    return approved(coid, expires_at=utc_now() - timedelta(seconds=1), **fields)


async def journal(broker: MemoryBroker, event: OrderHeld | OrderSubmitting) -> None:
    """What an earlier router instance left in the journal before it went away."""
    await MemoryBus(broker, "order-router").publish(ORDERS_EVENTS, event, key=ACCOUNT)


async def test_an_approved_order_past_its_expiry_is_expired_never_sent(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, expired("late-1"))
    await send(broker, approved("fresh-1", expires_at=utc_now() + timedelta(minutes=5)))
    await eventually(lambda: OrderSubmitted in kinds(broker, "fresh-1"))
    assert kinds(broker, "late-1") == [OrderExpired]
    [event] = of(broker, "late-1")
    assert isinstance(event, OrderExpired) and event.expired_by == "router"
    await send(broker, expired("late-1"))  # redelivered: dropped
    await send(broker, resting("marker"))
    await eventually(lambda: OrderSubmitted in kinds(broker, "marker"))
    assert kinds(broker, "late-1") == [OrderExpired]
    assert control.orders_with_ref("late-1") == 0


async def test_an_order_whose_turn_in_the_pacer_comes_too_late_is_expired_never_sent(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    """Written ahead in time, then queued behind a burst at 4 messages/s: its slot comes after
    its send deadline, so the pacer drops it; the order after it still goes."""
    await start_router(pacing_msgs_per_s=4.0)
    expired_event = await expired_behind_a_burst(broker, "", within=10)
    assert "pacer" in expired_event.reason
    assert control.orders_with_ref("short") == 0
    assert control.orders_with_ref("after") == 1


async def test_an_order_held_while_the_link_is_down_is_reported_expired_at_its_expiry(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    await tws.stop()  # nothing to connect to: every order is held
    await start_router(wait_connected=False)
    await send(broker, approved("held-1", expires_at=utc_now() + timedelta(seconds=0.3)))
    await eventually(lambda: kinds(broker, "held-1") == [OrderHeld, OrderExpired])


async def test_held_orders_that_outlived_their_expiry_are_expired_on_start(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    late, live = expired("held-late"), approved("held-live")
    for order in (late, live):
        held = OrderHeld(client_order_id=order.client_order_id, account=ACCOUNT, reason="link down",
                         order=order)  # fmt: skip
        await journal(broker, held)
    await start_router()
    await eventually(lambda: OrderExpired in kinds(broker, "held-late"))
    await eventually(lambda: OrderSubmitted in kinds(broker, "held-live"))
    assert OrderSubmitting not in kinds(broker, "held-late")
    assert control.orders_with_ref("held-late") == 0


async def test_an_order_in_doubt_that_expired_is_cancelled_once_found_never_resent(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router(ack_timeout_s=0.3)
    control.hold_acks(True)  # IBKR has the order; the router hears nothing back
    # sent at once, before its expiry; the first look for it (after the ack timeout and the
    # retry's one-second backoff) comes after its expiry
    expires_at = utc_now() + timedelta(seconds=0.6)
    order = resting("doubt-found")
    await send(broker, msgspec.structs.replace(order, expires_at=expires_at))
    await eventually(lambda: OrderHeld in kinds(broker, "doubt-found"))
    await eventually(lambda: OrderSubmitted in kinds(broker, "doubt-found"), within=10)  # found
    control.hold_acks(False)  # the cancel's acknowledgement comes through
    await eventually(lambda: OrderCancelled in kinds(broker, "doubt-found"))
    assert control.orders_with_ref("doubt-found") == 1
    assert kinds(broker, "doubt-found").count(OrderSubmitting) == 1


async def test_an_expired_order_in_doubt_and_absent_at_ibkr_is_expired_not_resent(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    order = expired("doubt-absent")
    submitting = OrderSubmitting(
        client_order_id=order.client_order_id, account=ACCOUNT, side=order.side,
        quantity=order.quantity, order_type=order.order_type, order=order,
    )  # fmt: skip
    await journal(broker, submitting)
    await start_router()
    await eventually(lambda: OrderExpired in kinds(broker, "doubt-absent"))
    assert control.orders_with_ref("doubt-absent") == 0


def test_the_journal_remembers_router_expiries_only() -> None:
    orders = TrackedOrders()
    orders.replay(OrderExpired(client_order_id="r", account=ACCOUNT, expired_by="router"))
    orders.replay(OrderExpired(client_order_id="k", account=ACCOUNT, expired_by="risk"))
    record = orders.get("r")
    assert record is not None and record.terminal
    assert orders.get("k") is None
