"""A router that dies is not invisible: the session-keeper halts trading within the heartbeat
bound, and a router started again resumes it; what risk approved before the halt waits in Kafka
for it, and what outlived its expiry there is expired, never sent late (processes on the real
broker)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice_proto import SessionState, utc_now
from sluice_proto.orders import OrderExpired
from tests.e2e.stack import ROUTER_SILENT_S, ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


async def test_a_killed_router_halts_trading_and_a_restarted_one_resumes_it(
    stack: ProcessStack,
) -> None:
    router = stack.services["order-router"]
    await stack.until("trading allowed", stack.trading_allowed, 30)
    seen = len(stack.recorder.sessions())

    router.kill()  # SIGKILL: no last report, no goodbye
    # Approved before anyone knows the router is gone: they wait in Kafka for a router. One
    # outlives its expiry there and must never be sent; the other goes out once, later.
    short = await stack.signal("AAPL", "BUY", 1, expires_at=utc_now() + timedelta(seconds=1))
    kept = await stack.signal("AAPL", "BUY", 3)
    for queued in (short, kept):
        assert await stack.outcome(queued, until=frozenset({"order_approved"})) == [
            "order_approved"
        ]

    def silent() -> SessionState | None:
        after = stack.recorder.sessions()[seen:]
        return next((s for s in after if s.state == "ROUTER_SILENT"), None)

    # the bound, the keeper's tick and the verdict's way through Kafka
    await stack.until("the keeper to declare the router silent", silent, ROUTER_SILENT_S + 10)
    verdict = silent()
    assert verdict is not None and not verdict.trading_allowed
    assert "no heartbeat from the order-router" in verdict.reason

    # Risk reads the verdict a moment after the test did: a signal racing it may still be
    # approved (and wait in Kafka for a router); risk soon approves nothing more.
    halted = frozenset({"order_rejected", "order_parked", "order_approved"})
    for _ in range(10):
        blocked = await stack.signal("AAPL", "BUY", 1)
        lifecycle = await stack.outcome(blocked, until=halted)
        if "order_approved" not in lifecycle:
            break
    assert "order_approved" not in lifecycle, lifecycle
    assert stack.control.orders_with_ref(blocked.client_order_id) == 0

    router.start()
    await router.wait_ready(stack.http, 60)
    await stack.until("the keeper to allow trading again", stack.trading_allowed, 30)
    # again, risk may read the verdict a moment after the test: a racing signal is rejected
    for _ in range(10):
        after = await stack.signal("AAPL", "BUY", 2)
        lifecycle = await stack.outcome(after)
        if "order_rejected" not in lifecycle:
            break
    assert "order_filled" in lifecycle, lifecycle

    assert (await stack.outcome(short))[-1] == "order_expired"
    [expired] = [
        m.event for m in stack.recorder.order_events(short.client_order_id)
        if isinstance(m.event, OrderExpired)
    ]  # fmt: skip
    assert expired.expired_by == "router"
    assert stack.control.orders_with_ref(short.client_order_id) == 0  # never sent late
    assert (await stack.outcome(kept))[-1] == "order_filled"
    assert stack.control.orders_with_ref(kept.client_order_id) == 1
