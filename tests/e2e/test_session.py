"""Losing the IBKR session, or a reset window, stops new orders: they are parked (or refused,
when a strategy says so) and released once it is back; one whose expiry passed never reaches
the gateway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from sluice_proto import OrderRejected, utc_now
from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


def trading_halted(stack: ProcessStack) -> bool:
    state = stack.recorder.session()
    return state is not None and not state.trading_allowed


async def assert_a_new_signal_fills(stack: ProcessStack) -> None:
    signal = await stack.signal("AAPL", "BUY", 2)
    assert (await stack.outcome(signal))[-1] == "order_filled"


async def test_connectivity_loss_halts_new_orders_and_restoring_it_resumes_them(
    stack: ProcessStack,
) -> None:
    stack.control.lose_connectivity()  # IB's servers unreachable: 1100 to the router
    await stack.until("the session-keeper to halt trading", lambda: trading_halted(stack), 20)
    state = stack.recorder.session()
    assert state is not None and state.state == "DEGRADED", state

    # Risk reads the halt from the topic the test just read, a moment later: a signal racing
    # that verdict is held by the disconnected router instead. Either way nothing reaches
    # IBKR, and risk soon refuses a signal that asks not to be parked.
    halted = frozenset({"order_rejected", "order_held"})
    for _ in range(10):
        signal = await stack.signal("AAPL", "BUY", 2, park=False)
        lifecycle = await stack.outcome(signal, until=halted)
        assert stack.control.orders_with_ref(signal.client_order_id) == 0
        if "order_rejected" in lifecycle:
            break
    [rejected] = [
        m.event for m in stack.recorder.order_events(signal.client_order_id)
        if isinstance(m.event, OrderRejected)
    ]  # fmt: skip
    assert rejected.reason_code == "TRADING_NOT_ALLOWED"

    # Risk now knows trading is halted: by default a signal is parked, not refused.
    parked = await stack.signal("AAPL", "BUY", 2)
    short = await stack.signal("AAPL", "BUY", 2, expires_at=utc_now() + timedelta(seconds=1))
    assert await stack.outcome(parked, until=frozenset({"order_parked"})) == ["order_parked"]
    expired = await stack.outcome(short)
    assert expired == ["order_parked", "order_expired"], expired

    stack.control.restore_connectivity(data_lost=False)  # 1102
    await stack.until("the session-keeper to allow trading", stack.trading_allowed, 20)
    released = await stack.outcome(parked)
    # released and approved in one transaction, on two topics: either may be read first
    assert released[0] == "order_parked" and released[-1] == "order_filled", released
    assert {"order_released", "order_approved"} <= set(released), released
    assert stack.control.orders_with_ref(parked.client_order_id) == 1
    assert stack.control.orders_with_ref(short.client_order_id) == 0
    await assert_a_new_signal_fills(stack)


async def test_a_gateway_restart_halts_trading_until_the_router_is_back(
    stack: ProcessStack,
) -> None:
    seen = len(stack.recorder.sessions())
    await stack.control.restart(window=1.0)  # every client dropped, connections refused 1 s

    def halted_since_restart() -> bool:
        return any(not s.trading_allowed for s in stack.recorder.sessions()[seen:])

    await stack.until("the session-keeper to halt trading", halted_since_restart, 20)
    await stack.until("the router to reconnect", stack.trading_allowed, 30)
    await assert_a_new_signal_fills(stack)


RESET_WINDOW_S = 30.0
"""Long enough for a session-keeper to start (and take its lease) inside it on a busy box."""


async def test_a_signal_parked_through_a_reset_window_fills_after_it_and_an_expired_one_never_goes(
    stack: ProcessStack,
) -> None:
    # The session-keeper started again with a gateway restart window that has just begun.
    keeper = stack.services["session-keeper"]
    keeper.terminate()
    assert await asyncio.to_thread(keeper.wait_exit) == 0
    begins = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    ends = begins + timedelta(seconds=RESET_WINDOW_S)
    keeper.env |= {
        "SLUICE_SESSION_GATEWAY_RESTART_TIME": begins.time().isoformat(),
        "SLUICE_SESSION_GATEWAY_RESTART_TZ": "UTC",
        "SLUICE_SESSION_GATEWAY_RESTART_MINUTES": str(RESET_WINDOW_S / 60),
        "SLUICE_SESSION_RESET_LEAD_MINUTES": "0",
    }
    seen = len(stack.recorder.sessions())
    keeper.start()
    await keeper.wait_ready(stack.http, 60)

    def in_the_window() -> bool:
        return any(s.state == "RESET_WINDOW" for s in stack.recorder.sessions()[seen:])

    await stack.until("the reset window", in_the_window, RESET_WINDOW_S)
    # risk reads the verdict a moment after the test did: a racing signal is still approved
    for _ in range(10):
        parked = await stack.signal("AAPL", "BUY", 2)
        lifecycle = await stack.outcome(parked, until=frozenset({"order_parked", "order_filled"}))
        if lifecycle == ["order_parked"]:
            break
    assert lifecycle == ["order_parked"], lifecycle
    short = await stack.signal("AAPL", "BUY", 2, expires_at=utc_now() + timedelta(seconds=1))
    assert await stack.outcome(short) == ["order_parked", "order_expired"]

    released = await stack.outcome(parked, within_s=RESET_WINDOW_S + 30)
    assert released[-1] == "order_filled", released
    assert {"order_released", "order_approved"} <= set(released), released
    [order] = [o for o in stack.tws.venue.store if o.spec.order_ref == parked.client_order_id]
    assert order.created_at >= ends  # sent after the window, not into it
    assert stack.control.orders_with_ref(short.client_order_id) == 0
