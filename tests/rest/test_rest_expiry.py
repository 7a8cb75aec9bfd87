"""On the REST path an order leaves only if its turn at the rate limiter comes before its send
deadline: one queued behind a burst past it is expired, never posted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice_proto import utc_now
from sluice_proto.orders import OrderExpired, OrderSubmitted, OrderSubmitting
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.orders import approved, at_venue, kinds, of, send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_an_order_whose_turn_at_the_limiter_comes_too_late_is_expired_never_posted(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router(IBKR_CP_RATE_HEADROOM="0.3")  # about 3 requests/s
    await send(broker, approved("cp-warm"))  # the contract qualified
    await eventually(lambda: OrderSubmitted in kinds(broker, "cp-warm"), within=15)
    for n in range(8):
        await send(broker, approved(f"cp-burst-{n}"))
    await send(broker, approved("cp-short", expires_at=utc_now() + timedelta(seconds=1.2)))
    await send(broker, approved("cp-after"))
    await eventually(lambda: OrderExpired in kinds(broker, "cp-short"), within=15)
    assert kinds(broker, "cp-short") == [OrderSubmitting, OrderExpired]
    [_, expired_event] = of(broker, "cp-short")
    assert isinstance(expired_event, OrderExpired) and "rate limiter" in expired_event.reason
    await eventually(lambda: OrderSubmitted in kinds(broker, "cp-after"), within=15)
    assert at_venue(sim.state.venue, "cp-short") == []
    assert len(at_venue(sim.state.venue, "cp-after")) == 1
