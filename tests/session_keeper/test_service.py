"""The session-keeper on a bus (in-memory, and the real Kafka broker): reports in, state out,
commands to the router, one active instance, ``/status`` over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sluice_bus import Bus, make_bus
from sluice_proto.session import ConnectionReport, RouterHeartbeat, SessionCommand, SessionState
from sluice_proto.topics import SESSION_COMMANDS, SESSION_REPORTS, SESSION_STATE
from sluice_runtime import build_app
from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar
from sluice_session_keeper.http import status_router
from sluice_session_keeper.service import SessionKeeper
from tests.support.collect import Backend, Collector
from tests.support.polling import eventually

TICK_S = 0.05
# A Kafka rebalance pauses deliveries to the lease group for a moment: a lease shorter than
# that would flap (safely: nobody acts), which is not what these tests are about.
LEASE_TTL_S = {"memory": 0.3, "kafka": 2.0}
Start = Callable[..., Awaitable[SessionKeeper]]


@pytest.fixture
def account() -> str:
    return f"DU{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def buses(backend: Backend) -> AsyncIterator[Callable[[str], Awaitable[Bus]]]:
    started: list[Bus] = []

    async def start(service: str) -> Bus:
        bus = make_bus(service, *backend)
        await bus.start()
        started.append(bus)
        return bus

    yield start
    for bus in reversed(started):
        await bus.stop()


@pytest.fixture
async def keeper(
    buses: Callable[[str], Awaitable[Bus]], account: str, backend: Backend
) -> AsyncIterator[Start]:
    keepers: list[SessionKeeper] = []
    ttl = LEASE_TTL_S["kafka" if backend[0] else "memory"]

    async def start(
        path: str = "socket", service: str = "session-keeper", adopt: bool = False, **tunes: Any
    ) -> SessionKeeper:
        policy = KeeperPolicy(path=path, egress_check_interval=None, **tunes)  # type: ignore[arg-type]
        keeper = SessionKeeper(
            await buses(service),
            policy,
            ResetCalendar(),
            accounts=[] if adopt else [account],
            tick_s=TICK_S,
            lease_ttl_s=ttl,
        )
        await keeper.start()
        keepers.append(keeper)
        return keeper

    yield start
    for keeper in reversed(keepers):
        with contextlib.suppress(Exception):
            await keeper.stop()


async def watch(bus: Bus) -> Collector:
    topics = [SESSION_STATE, SESSION_COMMANDS]
    return await Collector().start(bus, topics, f"probe-{uuid.uuid4().hex[:8]}")


def states(seen: Collector, account: str) -> list[tuple[str, bool]]:
    return [(s.state, s.trading_allowed) for s in seen.events(SESSION_STATE, account, SessionState)]


def commands(seen: Collector, account: str) -> list[str]:
    return [c.command for c in seen.events(SESSION_COMMANDS, account, SessionCommand)]


async def test_router_reports_drive_the_published_session_state(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    router = await buses("order-router")
    report = ConnectionReport(account=account, path="socket", status="connected")
    await router.publish(SESSION_REPORTS, report, key=account)  # before the keeper: replayed
    seen = await watch(router)
    await keeper()
    await eventually(lambda: ("UP", True) in states(seen, account), what="UP published")

    lost = ConnectionReport(account=account, path="socket", status="lost", code=1100)
    await router.publish(SESSION_REPORTS, lost, key=account)
    await eventually(lambda: states(seen, account)[-1] == ("DEGRADED", False), what="DEGRADED")

    gone = ConnectionReport(account=account, path="socket", status="disconnected")
    await router.publish(SESSION_REPORTS, gone, key=account)
    await eventually(lambda: states(seen, account)[-1] == ("DOWN", False), what="DOWN")
    await eventually(lambda: "reconnect" in commands(seen, account), what="a reconnect command")


async def test_a_keeper_has_replayed_the_reports_when_it_starts_then_follows_them(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    router = await buses("order-router")
    report = ConnectionReport(account=account, path="socket", status="connected")
    await router.publish(SESSION_REPORTS, report, key=account)

    started = await keeper()

    machine = started.machines[account]
    assert machine.verdict(started.clock()).state == "UP"  # before any live delivery
    lost = ConnectionReport(account=account, path="socket", status="lost", code=1100)
    await router.publish(SESSION_REPORTS, lost, key=account)
    await eventually(
        lambda: machine.verdict(started.clock()).state == "DEGRADED", what="the live report"
    )


async def test_a_replayed_heartbeat_does_not_keep_a_dead_router_alive(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    router = await buses("order-router")
    beat = RouterHeartbeat(account=account, instance_id="r1", path="socket", link_up=True)
    for report in (ConnectionReport(account=account, path="socket", status="connected"), beat):
        await router.publish(SESSION_REPORTS, report, key=account)  # before the keeper: replayed
    seen = await watch(router)
    await keeper(router_silent_after=timedelta(seconds=1))
    await eventually(
        lambda: ("ROUTER_SILENT", False) in states(seen, account), what="silent: nobody beats"
    )
    await router.publish(SESSION_REPORTS, beat, key=account)  # a live beat, the link up
    await eventually(lambda: states(seen, account)[-1] == ("UP", True), what="the router back")


async def test_the_rest_path_probes_and_tickles(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    seen = await watch(await buses("observer"))
    await keeper(path="rest")
    await eventually(
        lambda: {"tickle", "auth_status"} <= set(commands(seen, account)), what="tickle + probe"
    )
    assert states(seen, account)[0] == ("UNKNOWN", False)


async def test_only_one_instance_acts_and_a_standby_takes_over(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    router = await buses("order-router")
    seen = await watch(router)
    first = await keeper(service="keeper-a")
    second = await keeper(service="keeper-b")
    both = [first, second]

    both_active = False

    async def never_both() -> None:
        nonlocal both_active
        while True:
            both_active = both_active or all(account in k.active for k in both)
            await asyncio.sleep(TICK_S / 5)

    guard = asyncio.create_task(never_both())
    try:
        await eventually(
            lambda: sum(account in k.active for k in both) == 1,
            what="one active",
        )
        active = next(k for k in both if account in k.active)
        standby = next(k for k in both if k is not active)
        await router.publish(
            SESSION_REPORTS,
            ConnectionReport(account=account, path="socket", status="connected"),
            key=account,
        )
        await eventually(lambda: ("UP", True) in states(seen, account), what="UP")
        assert account not in standby.active
        await eventually(  # a hot standby: it applies every report too
            lambda: standby.machines[account].verdict(standby.clock()).state == "UP",
            what="the standby sees UP",
        )

        await active.stop()
        await eventually(lambda: account in standby.active, within=60, what="standby takes over")
        producers = {s.producer for s in seen.seen if s.topic == SESSION_STATE and s.key == account}
        assert producers <= {first.bus.service, second.bus.service}
        await eventually(
            lambda: any(s.producer == standby.bus.service and s.key == account for s in seen.seen),
            what="the new active keeper publishes",
        )
    finally:
        guard.cancel()
    assert not both_active


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_status_shows_state_reports_role_and_windows(keeper: Start, account: str) -> None:
    sk = await keeper()
    report = ConnectionReport(account=account, path="socket", status="connected")
    await sk.bus.publish(SESSION_REPORTS, report, key=account)
    await eventually(lambda: account in sk.active, what="active")
    await eventually(lambda: sk.machines[account].verdict(sk.clock()).state == "UP", what="UP")

    transport = httpx.ASGITransport(app=build_app(sk, sk.bus, routes=status_router(sk)))
    async with httpx.AsyncClient(transport=transport, base_url="http://keeper") as client:
        body = (await client.get("/status")).json()
        ready = await client.get("/readyz")

    assert body["role"] == "active"
    (status,) = body["accounts"]
    assert status["account"] == account
    assert (status["state"], status["trading_allowed"], status["role"]) == ("UP", True, "active")
    assert status["last_reports"]["connection_report"]["status"] == "connected"
    assert status["next_tickle_at"] is None  # the socket path is never tickled
    assert ready.status_code == 200


async def test_without_a_configured_account_every_reporting_one_is_kept(
    buses: Callable[[str], Awaitable[Bus]], keeper: Start, account: str
) -> None:
    router = await buses("order-router")
    seen = await watch(router)
    await keeper(adopt=True)
    other = f"DU{uuid.uuid4().hex[:8]}"
    report = ConnectionReport(account=other, path="socket", status="connected")
    await router.publish(SESSION_REPORTS, report, key=other)
    await eventually(lambda: ("UP", True) in states(seen, other), what="the new account is kept")
