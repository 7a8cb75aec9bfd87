"""The router opens its IBKR link while the journal replays, and acts on it only afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sluice_bus import MemoryBroker, MemoryBus, Message
from sluice_bus.api import Offsets
from sluice_order_router.adapters.socket.gateway import SocketGateway
from sluice_order_router.service import RouterService
from sluice_proto.orders import OrderFilled, OrderHeld
from sluice_proto.topics import ORDERS_EVENTS
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter, options
from tests.support.net import free_port
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually


class GatedReplayBus(MemoryBus):
    """A bus whose replays of the journal wait for ``release``: a long journal, at the test's
    pace (other replays, e.g. of the routers' claims, go at once)."""

    def __init__(self, broker: MemoryBroker, service: str) -> None:
        super().__init__(broker, service)
        self.replaying = asyncio.Event()
        self.release = asyncio.Event()

    def replay(
        self, topics: Sequence[str], *, until: Offsets | None = None, key: str | None = None
    ) -> AsyncIterator[Message[Any]]:
        replay = super().replay(topics, until=until, key=key)
        return self._gated(replay) if ORDERS_EVENTS in topics else replay

    async def _gated(self, messages: AsyncIterator[Message[Any]]) -> AsyncIterator[Message[Any]]:
        self.replaying.set()
        await self.release.wait()
        async for message in messages:
            yield message


@asynccontextmanager
async def starting_router(
    broker: MemoryBroker, tws: TwsServer
) -> AsyncIterator[tuple[GatedReplayBus, asyncio.Task[None]]]:
    """A router starting on a ``GatedReplayBus``: the bus and the start task (stopped after)."""
    bus = GatedReplayBus(broker, "order-router")
    await bus.start()
    router = RouterService(bus, SocketGateway(options(tws)))
    starting = asyncio.create_task(router.start())
    try:
        yield bus, starting
    finally:
        bus.release.set()
        await starting
        await router.stop()
        await bus.stop()


def handshaken(control: TwsControl) -> Callable[[], bool]:
    """The router's client (id 11) has connected to the simulator."""
    return lambda: 11 in control.counters()["connected_clients"]  # type: ignore[operator]


async def test_a_link_up_during_the_replay_sends_the_held_order_once_after_it(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    # an earlier router held an order: its gateway was unreachable
    earlier = await start_router(wait_connected=False, port=free_port())
    await send(broker, approved("held-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "held-1"))
    await earlier.stop()

    async with starting_router(broker, tws) as (bus, starting):
        await bus.replaying.wait()
        await eventually(handshaken(control))  # the link came up during the replay
        await asyncio.sleep(0.3)  # what would reach the gateway now, if anything acted on it
        assert control.orders_with_ref("held-1") == 0
        assert not starting.done()

        bus.release.set()
        await starting
        await eventually(lambda: OrderFilled in kinds(broker, "held-1"), within=10)
        assert control.orders_with_ref("held-1") == 1


async def test_ids_past_the_journals_mark_when_the_handshake_beat_the_replay(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    earlier = await start_router()
    for coid in ("day-1", "day-2"):
        await send(broker, approved(coid))
        await eventually(lambda coid=coid: OrderFilled in kinds(broker, coid), within=10)
    await earlier.stop()
    await control.restart(window=0.2)  # a new day: IBKR's order ids start again low

    async with starting_router(broker, tws) as (bus, starting):
        await eventually(handshaken(control))  # nextValidId came before the journal
        bus.release.set()
        await starting
        await send(broker, approved("day-3"))
        await eventually(lambda: OrderFilled in kinds(broker, "day-3"), within=10)

    ids = [order_id for client_id, order_id, _ in tws.venue.store.placed if client_id == 11]
    assert len(ids) == len(set(ids)) == 3 and control.reused_order_ids() == []
    assert ids[-1] > max(ids[:-1])  # day-3 went out above everything sent before
