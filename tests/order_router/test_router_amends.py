"""Amends on the socket path: placeOrder again under the same IBKR order id, answered by IBKR."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_proto.orders import (
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderFilled,
)
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.gateway import AAPL_CON_ID
from tests.support.orders import amend, at_venue, kinds, of, resting, send, working
from tests.support.polling import eventually


async def test_an_amend_moves_the_resting_limit_under_the_same_order_id(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    await start_router()
    await send(broker, resting("amend-1"))
    order_id = (await working(broker, "amend-1")).broker_order_id
    await send(broker, amend("amend-1", limit_price=Decimal("1.50"), quantity=Decimal(12)))
    await eventually(lambda: OrderAmended in kinds(broker, "amend-1"))
    [held] = at_venue(tws.venue, "amend-1")
    assert (held.spec.order_id, held.spec.limit_price, held.spec.quantity) == (
        order_id,
        Decimal("1.50"),
        Decimal(12),
    )
    amended = of(broker, "amend-1")[-1]
    assert isinstance(amended, OrderAmended)
    assert (amended.revision, amended.broker_order_id) == (1, order_id)
    assert (amended.limit_price, amended.quantity) == (Decimal("1.50"), Decimal(12))
    assert tws.venue.store.reused_order_ids() == []


async def test_a_replayed_revision_is_reported_and_never_sent_twice(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    await start_router()
    await send(broker, resting("amend-2"))
    await working(broker, "amend-2")
    await send(broker, amend("amend-2", limit_price=Decimal("1.50")))
    await send(broker, amend("amend-2", limit_price=Decimal("1.70")))  # same revision, again
    await eventually(lambda: OrderAmendRejected in kinds(broker, "amend-2"))
    rejected = of(broker, "amend-2")[-1]
    assert isinstance(rejected, OrderAmendRejected)
    assert (rejected.reason_code, rejected.rejected_by) == ("STALE_REVISION", "router")
    assert kinds(broker, "amend-2").count(OrderAmendSubmitting) == 1
    assert [o.spec.limit_price for o in at_venue(tws.venue, "amend-2")] == [Decimal("1.50")]


async def test_an_amend_that_crosses_fills_at_the_new_price(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    await start_router()
    await send(broker, resting("amend-3"))
    await working(broker, "amend-3")
    ask = tws.venue.quotes.quote(AAPL_CON_ID).ask
    await send(broker, amend("amend-3", limit_price=ask + 1))
    await eventually(lambda: OrderFilled in kinds(broker, "amend-3"))
    assert OrderAmended in kinds(broker, "amend-3")
    assert len(at_venue(tws.venue, "amend-3")) == 1


async def test_an_amend_racing_a_fill_is_refused_by_ibkr_and_no_second_order_exists(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    await start_router()
    await send(broker, resting("race-1"))
    await working(broker, "race-1")
    control.hold_acks(True)  # the fill happens at IBKR; the router has not heard of it yet
    control.set_mid(AAPL_CON_ID, Decimal("0.90"))
    assert at_venue(tws.venue, "race-1")[0].status.value == "Filled"
    await send(broker, amend("race-1", limit_price=Decimal("0.80")))
    await eventually(lambda: OrderAmendRejected in kinds(broker, "race-1"))
    rejected = of(broker, "race-1")[-1]
    assert isinstance(rejected, OrderAmendRejected)
    assert (rejected.rejected_by, rejected.reason_code, rejected.code) == (
        "broker",
        "BROKER_REJECTED",
        104,
    )
    assert "filled" in rejected.message
    control.hold_acks(False)
    await eventually(lambda: OrderFilled in kinds(broker, "race-1"))
    assert len(at_venue(tws.venue, "race-1")) == 1
    assert control.orders_with_ref("race-1") == 1


async def test_an_amend_ibkr_never_heard_of_is_settled_and_sent_once_more(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    await start_router(ack_timeout_s=0.5)
    await send(broker, resting("lost-1"))
    await working(broker, "lost-1")
    control.drop_orders(1)  # the amend's placeOrder is lost on the way
    await send(broker, amend("lost-1", limit_price=Decimal("1.25")))
    await eventually(lambda: OrderAmended in kinds(broker, "lost-1"), within=15)
    assert [o.spec.limit_price for o in at_venue(tws.venue, "lost-1")] == [Decimal("1.25")]
    assert kinds(broker, "lost-1").count(OrderAmendSubmitting) == 1


async def test_a_held_order_is_amended_in_place_and_sent_with_its_new_terms(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    router = await start_router()
    await control.restart(window=3.0)  # the link is down for a while: orders are held
    await eventually(lambda: not router.readiness()[0], what="link down")
    await send(broker, resting("held-1"))
    await send(broker, amend("held-1", limit_price=Decimal("1.25")))
    await eventually(lambda: OrderAmended in kinds(broker, "held-1"), what="amended while held")
    assert at_venue(tws.venue, "held-1") == []
    await eventually(lambda: OrderAccepted in kinds(broker, "held-1"), what="sent on reconnect")
    [sent] = at_venue(tws.venue, "held-1")
    assert (sent.spec.limit_price, sent.modifications) == (Decimal("1.25"), 0)
