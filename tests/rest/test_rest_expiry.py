"""On the REST path an order leaves only if its turn at the rate limiter comes before its send
deadline: one queued behind a burst past it is expired, never posted."""

from __future__ import annotations

import pytest

from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.orders import at_venue, expired_behind_a_burst

pytestmark = pytest.mark.integration


async def test_an_order_whose_turn_at_the_limiter_comes_too_late_is_expired_never_posted(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router(IBKR_CP_RATE_HEADROOM="0.3")  # about 3 requests/s
    expired_event = await expired_behind_a_burst(broker, "cp-", within=15)
    assert "rate limiter" in expired_event.reason
    assert at_venue(sim.state.venue, "cp-short") == []
    assert len(at_venue(sim.state.venue, "cp-after")) == 1
