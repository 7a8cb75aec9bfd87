"""Fixtures: a fresh simulated IB Gateway per test, and connected ib_async clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from ib_async import IB

from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.server import TwsServer

Connect = Callable[..., Awaitable[IB]]


@pytest.fixture
def tws_config() -> TwsConfig:
    return TwsConfig(port=0)


@pytest.fixture
async def tws(tws_config: TwsConfig) -> AsyncIterator[TwsServer]:
    server = TwsServer(replace(tws_config, port=0))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def connect(tws: TwsServer) -> AsyncIterator[Connect]:
    """Connect unmodified ib_async clients to the simulator; all are disconnected afterwards."""
    clients: list[IB] = []

    async def _connect(client_id: int = 1, **kwargs: object) -> IB:
        ib = IB()
        clients.append(ib)
        await ib.connectAsync("127.0.0.1", tws.port, clientId=client_id, timeout=5, **kwargs)
        return ib

    yield _connect
    for ib in clients:
        ib.disconnect()
