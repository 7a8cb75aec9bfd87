"""Fixtures: a simulated IB Gateway per test and routers on the in-memory bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.adapters.socket.gateway import SocketGateway, SocketOptions
from sluice_order_router.cancels import KillScope
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.service import RouterService
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually


def options(tws: TwsServer, **overrides: Any) -> SocketOptions:
    """Socket options for the test gateway: short timeouts, fast backoff."""
    base = SocketOptions(
        host="127.0.0.1", port=tws.port, account=ACCOUNT, client_id=11,
        connect_timeout_s=5.0, ack_timeout_s=5.0, backoff=JitteredBackoff(0.05, 0.3),
    )  # fmt: skip
    return replace(base, **overrides)


@pytest.fixture
def tws_config() -> TwsConfig:
    return TwsConfig(port=0, accounts=(ACCOUNT,))


@pytest.fixture
async def tws(tws_config: TwsConfig) -> AsyncIterator[TwsServer]:
    server = TwsServer(tws_config)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def control(tws: TwsServer) -> TwsControl:
    return TwsControl(tws)


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


StartRouter = Callable[..., Awaitable[RouterService]]


@pytest.fixture
async def start_router(tws: TwsServer, broker: MemoryBroker) -> AsyncIterator[StartRouter]:
    """Start routers on the in-memory bus against the simulator; all stopped afterwards."""
    started: list[tuple[RouterService, MemoryBus]] = []

    async def start(
        read_only: bool = False,
        wait_connected: bool = True,
        heartbeat_s: float | None = None,
        kill_scope: KillScope = "all",
        truth_s: float | None = None,
        **overrides: Any,
    ) -> RouterService:
        bus = MemoryBus(broker, "order-router")
        await bus.start()
        gateway = SocketGateway(options(tws, **overrides))
        router = RouterService(
            bus, gateway, read_only=read_only, heartbeat_s=heartbeat_s, kill_scope=kill_scope,
            truth_s=truth_s,
        )  # fmt: skip
        started.append((router, bus))
        await router.start()
        if wait_connected:
            await eventually(lambda: router.readiness()[0])
        return router

    yield start
    for router, bus in started:
        await router.stop()
        await bus.stop()
