"""On the REST path the kill switch's ``CancelAll`` cancels each working order of the account
the Client Portal lists, Sluice's or not (scope ``all``, the default); with scope ``own`` an
order placed outside the router stays working."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_bus import MemoryBroker
from sluice_order_router.cancels import KillScope
from sluice_proto import CancelAll
from sluice_proto.orders import CancelAllSwept, OrderAccepted, OrderCancelled
from sluice_proto.topics import ORDERS_EVENTS
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import kinds, resting, send
from tests.support.outside_orders import cp_order
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def _sweeps(broker: MemoryBroker) -> list[CancelAllSwept]:
    return [e for e in topic_events(broker, ORDERS_EVENTS) if isinstance(e, CancelAllSwept)]


@pytest.mark.parametrize("scope", ["all", "own"])
async def test_the_kill_switch_cancels_an_order_placed_outside_the_router_unless_told_own(
    sim: CpSimulator, start_rest_router: StartRestRouter, scope: KillScope
) -> None:
    _, broker = await start_rest_router(kill_scope=scope)
    await send(broker, resting("own-1"))
    await eventually(lambda: OrderAccepted in kinds(broker, "own-1"), what="own order working")
    outside = await cp_order(sim, "BUY", 5, 1.0)
    theirs = sim.state.venue.store.by_perm(int(outside))
    assert theirs is not None and not theirs.status.is_done

    await send(broker, CancelAll(account=ACCOUNT, reason="kill switch by test"))
    await eventually(lambda: OrderCancelled in kinds(broker, "own-1"), what="own cancelled")
    if scope == "own":
        assert not theirs.status.is_done and not _sweeps(broker)
        return
    await eventually(lambda: _sweeps(broker), what="the sweep reported")
    assert theirs.status.is_done
    [sweep] = _sweeps(broker)
    assert [(o.broker_order_id, o.order_ref, o.symbol, o.side, o.remaining_quantity, o.refused)
            for o in sweep.orders] == [(outside, "", "AAPL", "BUY", Decimal(5), "")]  # fmt: skip
