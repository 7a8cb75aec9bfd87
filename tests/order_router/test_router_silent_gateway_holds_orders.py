"""A gateway that stops answering must not wedge the order desk: the order is held."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from sluice_bus import MemoryBroker
from sluice_proto.orders import OrderHeld
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually


class MutingProxy:
    """A loopback TCP relay in front of the simulator that can stop passing its replies."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self.muted = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in self._pipes:
            task.cancel()
        for task in self._pipes:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            self._server.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        for task in (self._pipe(reader, up_writer, False), self._pipe(up_reader, writer, True)):
            self._pipes.add(asyncio.create_task(task))

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, mutable: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if not (mutable and self.muted):
                    writer.write(data)
                    await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def proxy(tws: TwsServer) -> AsyncIterator[MutingProxy]:
    relay = MutingProxy(tws.port)
    await relay.start()
    yield relay
    await relay.stop()


async def test_an_unanswered_contract_lookup_holds_the_order_instead_of_hanging(
    start_router: StartRouter, broker: MemoryBroker, proxy: MutingProxy
) -> None:
    await start_router(port=proxy.port, ack_timeout_s=0.5)
    proxy.muted = True  # the socket stays open; IBKR just never answers
    await send(broker, approved("silent-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "silent-1"), within=5)
