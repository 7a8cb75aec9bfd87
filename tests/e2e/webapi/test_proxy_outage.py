"""Shield down: nothing reaches IBKR, the order is held; Shield back: it goes out once and fills.

Runs last in the package: reconnecting re-runs the egress check, and the router's limiter lets
``/sso/validate`` through once a minute (IBKR's limit), so this test waits for that minute.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sluice_proto import utc_now
from tests.e2e.webapi.stack import WebApiStack
from tests.egress.fixtures import SHIELD_IP

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

WAITING = ("order_held", "order_parked")
"""Held by the router, or (had the session-keeper's halt come first) parked by risk: either
goes out once trading is possible again."""
STOPPED = frozenset({*WAITING, "order_rejected"})
OUTAGE_S = 3.0
"""How long the proxy stays down once the router noticed (it retries at least every second)."""
BACK_WITHIN_S = 100.0
"""Reconnecting waits for the next /sso/validate IBKR allows (once a minute), then the order
list (every 5 s) before the held order goes out and its fill is read."""


def halted(webapi: WebApiStack) -> bool:
    state = webapi.recorder.session()
    return state is not None and not state.trading_allowed


async def test_with_shield_down_nothing_reaches_ibkr_and_the_held_order_goes_out_once_back(
    webapi: WebApiStack,
) -> None:
    broker = webapi.broker
    # The router's WebSocket goes through the proxy, so it learns of the outage at once (the
    # socket closes, the next request fails) and the session-keeper halts trading. A signal
    # published at once meets either the router (held) or, had the halt come first, risk
    # (parked); either way it waits for the proxy and goes out once.
    await webapi.until(
        "the WebSocket up", lambda: webapi.broker.sim.control.counters()["ws"]["open"] > 0, 15
    )
    broker.shield.stop()
    try:
        # A market order expires 30 s after its signal unless it says otherwise; this one
        # must outlive the reconnect (BACK_WITHIN_S).
        expires_at = utc_now() + timedelta(seconds=2 * BACK_WITHIN_S)
        held = await webapi.signal("SPY", "BUY", 4, expires_at=expires_at)
        lifecycle = await webapi.outcome(held, until=STOPPED)
        assert any(w in lifecycle for w in WAITING), (
            lifecycle,
            webapi.recorder.rejections(held.client_order_id),
        )
        assert broker.orders_with_ref(held.client_order_id) == 0

        # The first failure can be a tunnel the proxy dropped mid-request (not yet named as the
        # proxy); the router's next attempt cannot reach the proxy at all and says so.
        await webapi.until(
            "the session-keeper to halt trading, naming the proxy",
            lambda: halted(webapi) and "proxy" in webapi.recorder.sessions()[-1].reason,
            20,
        )
        seen = broker.requests_seen()  # any request in flight at the stop has landed by now
        await asyncio.sleep(OUTAGE_S)  # the router and the keeper keep trying meanwhile
        assert broker.requests_seen() == seen, "a request reached IBKR without the proxy"
        assert broker.orders_with_ref(held.client_order_id) == 0
    finally:
        await broker.shield.start()

    lifecycle = await webapi.outcome(
        held, until=frozenset({"order_filled"}), within_s=BACK_WITHIN_S
    )
    waited = min(lifecycle.index(w) for w in WAITING if w in lifecycle)
    assert waited < lifecycle.index("order_submitted"), lifecycle
    assert broker.orders_with_ref(held.client_order_id) == 1
    assert set(broker.sim.control.counters()["callers"]) == {SHIELD_IP}
    await webapi.until("the session-keeper to allow trading", webapi.trading_allowed, 30)
