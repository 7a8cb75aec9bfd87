"""On IBKR's hosted Web API through Shield: a signal fills, and an expired live session token
is renewed without losing an order."""

from __future__ import annotations

import pytest

from tests.e2e.webapi.stack import WebApiStack
from tests.egress.fixtures import SHIELD_IP

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

# Fills are read from IBKR's order and trade lists, at most every 5 s (IBKR's limit).
FILLED_WITHIN_S = 30
# The lifecycle interleaves two topics in arrival order: under load the approval may arrive
# after the fill, so the tests look for the fill rather than at the last entry.


async def test_a_signal_is_filled_through_shield(webapi: WebApiStack) -> None:
    signal = await webapi.signal("AAPL", "BUY", 10)
    lifecycle = await webapi.outcome(signal, within_s=FILLED_WITHIN_S)

    assert "order_filled" in lifecycle, lifecycle
    assert webapi.broker.orders_with_ref(signal.client_order_id) == 1
    counters = webapi.broker.sim.control.counters()
    assert set(counters["callers"]) == {SHIELD_IP}, counters["callers"]
    assert counters["lst_issued"] >= 1


async def test_an_expired_live_session_token_is_renewed_without_losing_an_order(
    webapi: WebApiStack,
) -> None:
    control = webapi.broker.sim.control
    issued = control.counters()["lst_issued"]

    before = [await webapi.signal("MSFT", "BUY", 3) for _ in range(2)]
    control.expire_lsts()
    after = [await webapi.signal("MSFT", "SELL", 3) for _ in range(2)]

    for signal in before + after:
        lifecycle = await webapi.outcome(signal, within_s=FILLED_WITHIN_S)
        assert "order_filled" in lifecycle, (signal.client_order_id, lifecycle)
        assert webapi.broker.orders_with_ref(signal.client_order_id) == 1
    counters = control.counters()
    assert counters["lst_issued"] > issued
    assert counters["oauth_refusals"].get("invalid live session token"), counters
