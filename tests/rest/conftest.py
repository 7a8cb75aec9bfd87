"""The REST tests share the egress tests' Shield stand-in fixture, and run routers in process
on the in-memory bus against the Client Portal simulator over HTTPS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.adapters.rest.oauth import load_credentials
from sluice_order_router.cancels import KillScope
from sluice_order_router.publisher import Publisher
from sluice_order_router.service import RouterService
from sluice_sim.cp import CpSimulator
from tests.egress.conftest import shield
from tests.egress.fixtures import cp_simulator, gateway, rest_settings
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually

__all__ = ["shield"]

StartRestRouter = Callable[..., Awaitable[tuple[RouterService, MemoryBroker]]]


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[CpSimulator]:
    """The simulator on loopback, taking every caller (no egress proxy in between); a Client
    Portal Gateway, or IBKR's hosted Web API when parametrized indirectly with ``"webapi"``."""
    mode = getattr(request, "param", "gateway")
    async with cp_simulator(allowlist=None, mode=mode) as simulator:
        yield simulator


@pytest.fixture
async def start_rest_router(sim: CpSimulator, tmp_path: Path) -> AsyncIterator[StartRestRouter]:
    """Start a router connected to ``sim`` (OAuth-signed in ``webapi`` mode); settings
    overrides by environment name."""
    started: list[tuple[RouterService, MemoryBus]] = []
    oauth = None
    if sim.control.webapi:
        oauth = load_credentials(sim.control.write_credentials(tmp_path / "oauth"), "limited_poa")

    async def start(
        kill_scope: KillScope = "all", truth_s: float | None = None, **overrides: Any
    ) -> tuple[RouterService, MemoryBroker]:
        broker = MemoryBroker()
        bus = MemoryBus(broker, "order-router")
        await bus.start()
        settings = rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1", **overrides)
        rest = gateway(settings, on_session_report=Publisher(bus, ACCOUNT).report, oauth=oauth)
        service = RouterService(bus, rest, kill_scope=kill_scope, truth_s=truth_s)
        started.append((service, bus))
        await service.start()
        await eventually(lambda: service.readiness()[0], what="session up")
        # the start's reconcile has read IBKR's trades too (the pre-flight read them first):
        # a fault armed from here on meets the keeper loop, not that reconcile
        trades = "GET /iserver/account/trades"
        await eventually(lambda: sim.control.counters()["endpoints"].get(trades, 0) >= 2)
        return service, broker

    yield start
    for service, bus in started:
        await service.stop()
        await bus.stop()
