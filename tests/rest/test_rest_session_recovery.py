"""The REST path brings its session up one way: a session command that finds the session back
runs establish → reconcile → release, as a reconnect does. The router runs in process on the
in-memory bus against the Client Portal simulator over HTTPS; its keeper loop backs off for
far longer than the test, so only the session command can bring the session back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sluice_bus import MemoryBus
from sluice_proto.orders import OrderFilled, OrderHeld, OrderSubmitted
from sluice_proto.session import ConnectionReport, SessionCommand, SessionCommandName
from sluice_proto.topics import SESSION_COMMANDS, SESSION_REPORTS
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

NEVER_S = 1e6
"""The keeper loop's reconnect backoff: it never retries on its own within a test."""


Lapse = Callable[[CpSimulator], tuple[str, Callable[[], None]]]
"""Make the session lapse; the request establish fails on (only establish sends it), and how
the session comes back."""


def _expired(sim: CpSimulator) -> tuple[str, Callable[[], None]]:
    sim.control.expire_in(0)  # 401 everywhere until the operator logs in again
    return "GET /sso/validate", sim.control.login


def _no_bridge(sim: CpSimulator) -> tuple[str, Callable[[], None]]:
    sim.control.drop_bridge()  # 400 "no bridge"; reauthenticate opens it again
    return "GET /iserver/accounts", lambda: None


@pytest.mark.parametrize(
    ("lapse", "command"),
    [(_expired, "tickle"), (_expired, "auth_status"), (_no_bridge, "reauthenticate")],
    ids=["expired-tickle", "expired-auth-status", "no-bridge-reauthenticate"],
)
async def test_a_held_order_goes_out_once_when_a_session_command_finds_the_session(
    sim: CpSimulator,
    start_rest_router: StartRestRouter,
    lapse: Lapse,
    command: SessionCommandName,
) -> None:
    service, broker = await start_rest_router(
        SLUICE_RECONNECT_INITIAL_S=NEVER_S, SLUICE_RECONNECT_MAX_S=NEVER_S
    )
    endpoint, come_back = lapse(sim)
    await eventually(lambda: not service.readiness()[0], what="the lapse noticed by the poll")
    # the keeper loop's own attempt after the start's has failed: it now backs off for good
    await eventually(lambda: sim.control.counters()["endpoints"].get(endpoint, 0) >= 2)
    await send(broker, approved("held-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "held-1"), what="order held")
    come_back()
    ask = SessionCommand(account=ACCOUNT, command=command, command_id=f"{command}-1")
    await MemoryBus(broker, "session-keeper").publish(SESSION_COMMANDS, ask, key=ACCOUNT)

    await eventually(lambda: OrderFilled in kinds(broker, "held-1"), what="held order filled")
    assert kinds(broker, "held-1").count(OrderSubmitted) == 1
    assert sim.state.venue.store.orders_with_ref("held-1") == 1
    statuses = [
        e.status for e in topic_events(broker, SESSION_REPORTS) if isinstance(e, ConnectionReport)
    ]
    assert statuses[0] == "connected" and statuses[-1] == "connected"
    assert "disconnected" in statuses


@pytest.mark.parametrize("sim", ["webapi"], indirect=True)
async def test_a_new_live_session_token_while_down_brings_the_session_up_at_once(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    service, broker = await start_rest_router(
        SLUICE_RECONNECT_INITIAL_S=NEVER_S, SLUICE_RECONNECT_MAX_S=NEVER_S
    )
    # the poll fails, then the keeper loop's own attempt (its pre-flight): it backs off for good
    sim.control.fail_next(503, count=2, path_prefix="/iserver/account/orders")
    await eventually(lambda: sim.state.faults[-1].remaining == 0, what="both failures answered")
    await eventually(lambda: not service.readiness()[0], what="session down")
    await send(broker, approved("held-lst"))
    await eventually(lambda: OrderHeld in kinds(broker, "held-lst"), what="order held")

    sim.control.expire_lsts()  # the next request acquires a new token
    ask = SessionCommand(account=ACCOUNT, command="check_egress", command_id="egress-1")
    await MemoryBus(broker, "session-keeper").publish(SESSION_COMMANDS, ask, key=ACCOUNT)

    await eventually(lambda: OrderFilled in kinds(broker, "held-lst"), what="held order filled")
    assert sim.state.venue.store.orders_with_ref("held-lst") == 1
    assert sim.control.counters()["lst_issued"] == 2
