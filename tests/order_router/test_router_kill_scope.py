"""The kill switch's ``CancelAll`` reaches every open order of the account at IBKR (scope
``all``, the default), not only the router's own: ``reqGlobalCancel`` on the TWS simulator,
which cancels every client's orders as IBKR does. With scope ``own`` another client's order
stays working."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ib_async import LimitOrder

from sluice_bus import MemoryBroker
from sluice_order_router.cancels import KillScope
from sluice_proto import CancelAll
from sluice_proto.orders import CancelAllSwept, OrderAccepted, OrderCancelled
from sluice_proto.topics import ORDERS_EVENTS
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import kinds, resting, send
from tests.support.outside_orders import tws_order
from tests.support.polling import eventually

BY_HAND = 99
"""The client id of another application (an earlier router, a script) at the same gateway."""


def _sweeps(broker: MemoryBroker) -> list[CancelAllSwept]:
    return [e for e in topic_events(broker, ORDERS_EVENTS) if isinstance(e, CancelAllSwept)]


@pytest.mark.parametrize("scope", ["all", "own"])
async def test_the_kill_switch_cancels_another_clients_order_unless_told_own(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, scope: KillScope
) -> None:
    await start_router(kill_scope=scope)
    await send(broker, resting("own-1"))
    await eventually(lambda: OrderAccepted in kinds(broker, "own-1"), what="own order working")
    order = LimitOrder("BUY", 5, 1.0, account=ACCOUNT)
    async with tws_order(tws.port, BY_HAND, order) as theirs:
        await send(broker, CancelAll(account=ACCOUNT, reason="kill switch by test"))
        await eventually(lambda: OrderCancelled in kinds(broker, "own-1"), what="own cancelled")
        if scope == "all":
            await eventually(lambda: theirs.orderStatus.status == "Cancelled", what="theirs")
            await eventually(lambda: _sweeps(broker), what="the sweep reported")
        else:
            assert theirs.orderStatus.status == "Submitted"
    open_by_hand = tws.venue.store.open_orders(BY_HAND)
    if scope == "own":
        assert len(open_by_hand) == 1 and not _sweeps(broker)
        return
    assert open_by_hand == []
    [sweep] = _sweeps(broker)
    assert sweep.account == ACCOUNT and "kill switch by test" in sweep.reason
    by_hand = [o for o in sweep.orders if o.client_id == BY_HAND]
    assert [(o.order_ref, o.symbol, o.side, o.remaining_quantity) for o in by_hand] == [
        ("", "AAPL", "BUY", Decimal(5))
    ]
