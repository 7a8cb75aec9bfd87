"""The router on the in-memory bus against the TWS simulator over real TCP (ib_async)."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_proto import CancelOrder, Instrument
from sluice_proto.orders import (
    CancelRejected,
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderSubmitting,
)
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually


async def test_market_order_lifecycle_with_fill_and_commission(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, approved("mkt-1"))
    await eventually(lambda: OrderFilled in kinds(broker, "mkt-1"))
    assert kinds(broker, "mkt-1") == [OrderSubmitting, OrderSubmitted, OrderAccepted, OrderFilled]
    filled = of(broker, "mkt-1")[-1]
    assert isinstance(filled, OrderFilled)
    assert filled.filled_quantity == 10
    assert filled.fill.commission is not None and filled.fill.commission > 0
    assert control.orders_with_ref("mkt-1") == 1


async def test_limit_rests_then_cancels_and_unknown_cancel_is_rejected(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router()
    await send(broker, approved("lmt-1", order_type="LMT", limit_price=Decimal("1.00")))
    await eventually(lambda: OrderAccepted in kinds(broker, "lmt-1"))
    await send(broker, CancelOrder(client_order_id="lmt-1", account=ACCOUNT))
    await eventually(lambda: OrderCancelled in kinds(broker, "lmt-1"))
    await send(broker, CancelOrder(client_order_id="nobody", account=ACCOUNT))
    await eventually(lambda: CancelRejected in kinds(broker, "nobody"))


async def test_duplicate_approved_order_reaches_ibkr_once(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, approved("dup-1", order_type="LMT", limit_price=Decimal("1.00")))
    await send(broker, approved("dup-1", order_type="LMT", limit_price=Decimal("1.00")))
    await send(broker, approved("after-dup", order_type="LMT", limit_price=Decimal("1.00")))
    await eventually(lambda: OrderAccepted in kinds(broker, "after-dup"))
    assert control.orders_with_ref("dup-1") == 1
    assert kinds(broker, "dup-1").count(OrderSubmitting) == 1


async def test_unknown_instrument_is_rejected_by_the_router(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router()
    await send(broker, approved("nope-1", instrument=Instrument(symbol="NOPE")))
    await eventually(lambda: OrderRejected in kinds(broker, "nope-1"))
    rejected = of(broker, "nope-1")[0]
    assert isinstance(rejected, OrderRejected)
    assert (rejected.reason_code, rejected.rejected_by) == ("UNKNOWN_INSTRUMENT", "router")


async def test_read_only_router_refuses_with_a_clear_event(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router(read_only=True)
    await send(broker, approved("ro-1"))
    await eventually(lambda: OrderRejected in kinds(broker, "ro-1"))
    rejected = of(broker, "ro-1")[0]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason_code == "READ_ONLY"
    assert "read-only" in rejected.message
    assert control.orders_with_ref("ro-1") == 0


async def test_broker_rejection_carries_ibkr_code_and_text(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    control.set_read_only(True)  # IB Gateway's own Read-Only API setting
    await send(broker, approved("brk-1"))
    await eventually(lambda: OrderBrokerRejected in kinds(broker, "brk-1"))
    rejected = of(broker, "brk-1")[-1]
    assert isinstance(rejected, OrderBrokerRejected)
    assert rejected.code == 201
    assert rejected.text
