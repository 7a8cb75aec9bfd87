"""IBKR refusing a cancel is a CancelRejected, never a false broker rejection."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_proto import CancelOrder
from sluice_proto.orders import (
    CancelRejected,
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderFilled,
)
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually


async def test_a_cancel_refused_for_an_order_filled_meanwhile_leaves_it_to_fill(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, approved("late-1", order_type="LMT", limit_price=Decimal("100.00")))
    await eventually(lambda: OrderAccepted in kinds(broker, "late-1"))
    control.hold_acks(True)  # the fill happens at IBKR; its report is still on the way
    control.set_mid(AAPL_CON_ID, Decimal("50.00"))
    await send(broker, CancelOrder(client_order_id="late-1", account=ACCOUNT))
    await eventually(lambda: CancelRejected in kinds(broker, "late-1"))
    refused = [e for e in of(broker, "late-1") if isinstance(e, CancelRejected)]
    assert refused[0].code == 10148
    assert "cannot be cancelled" in refused[0].text
    control.hold_acks(False)
    await eventually(lambda: OrderFilled in kinds(broker, "late-1"))
    assert OrderBrokerRejected not in kinds(broker, "late-1")
    assert OrderCancelled not in kinds(broker, "late-1")
