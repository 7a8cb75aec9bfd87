"""On IBKR's hosted Web API through Shield: a signal fills, and an expired live session token
is renewed without losing an order."""

from __future__ import annotations

import pytest

from tests.e2e.webapi.stack import WebApiStack
from tests.egress.fixtures import SHIELD_IP

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

# Fills are read from IBKR's order and trade lists, at most every 5 s (IBKR's limit).
FILLED_WITHIN_S = 30
# Signals use the stack's SYMBOLS, whose quotes already flow: a first quote takes the REST path
# two polls (IBKR answers a new conId's first snapshot empty), longer than risk's quote wait.
# The lifecycle interleaves two topics in arrival order: under load the approval may arrive
# after the fill, so the tests look for the fill rather than at the last entry.


async def test_a_signal_is_filled_through_shield(webapi: WebApiStack) -> None:
    signal = await webapi.signal("AAPL", "BUY", 10)
    coid = signal.client_order_id
    lifecycle = await webapi.outcome(signal, within_s=FILLED_WITHIN_S)

    assert "order_filled" in lifecycle, (lifecycle, webapi.recorder.rejections(coid))
    assert webapi.broker.orders_with_ref(coid) == 1
    counters = webapi.broker.sim.control.counters()
    assert set(counters["callers"]) == {SHIELD_IP}, counters["callers"]
    assert counters["lst_issued"] >= 1


async def test_an_expired_live_session_token_is_renewed_without_losing_an_order(
    webapi: WebApiStack,
) -> None:
    control = webapi.broker.sim.control
    issued = control.counters()["lst_issued"]

    before = [await webapi.signal("AAPL", "BUY", 3) for _ in range(2)]
    control.expire_lsts()
    after = [await webapi.signal("AAPL", "SELL", 3) for _ in range(2)]

    for signal in before + after:
        lifecycle = await webapi.outcome(signal, within_s=FILLED_WITHIN_S)
        coid = signal.client_order_id
        assert "order_filled" in lifecycle, (coid, lifecycle, webapi.recorder.rejections(coid))
        assert webapi.broker.orders_with_ref(coid) == 1
    counters = control.counters()
    assert counters["lst_issued"] > issued
    assert counters["oauth_refusals"].get("invalid live session token"), counters
