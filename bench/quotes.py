"""Quote latency: a venue's price move until its quote is on ``sluice.md.quotes.v1``.

Run: ``python -m bench quotes``. On a real single-node Kafka broker
(``tests/support/kafka_broker.py``), the router and the market-data service run in this process
on their own Kafka clients, and so does the simulator, so the move and the arrival are read
from one clock (``time.perf_counter``). Two paths:

- **socket**: the TWS simulator → ib_async (``reqMktData`` ticks) → router → ``md.ticks`` →
  market-data → ``md.quotes``;
- **websocket**: the Client Portal simulator's ``/v1/api/ws`` (``smd``) → httpx-ws → router →
  the same two Kafka hops.

Each move waits for its quote before the next (``tests/support/quote_latency.py``); the last
line is JSON for machines.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from decimal import Decimal

from sluice_bus import make_bus
from sluice_order_router.adapters.socket.gateway import SocketGateway, SocketOptions
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.ports import BrokerGateway
from sluice_order_router.service import RouterService
from sluice_sim.cp import CpSimConfig, CpSimulator
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.egress.fixtures import SIM_LIMITS, gateway, rest_settings
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.kafka_broker import running_broker
from tests.support.polling import eventually
from tests.support.quote_latency import (
    QuoteWatch,
    fresh_mids,
    latencies,
    start_market_data,
    subscribe,
    warm_up,
)

MOVES = 200
Move = Callable[[Decimal], object]
Path = AbstractAsyncContextManager[tuple[BrokerGateway, Move]]


@asynccontextmanager
async def socket_path() -> AsyncIterator[tuple[BrokerGateway, Move]]:
    server = TwsServer(TwsConfig(port=0, accounts=(ACCOUNT,)))
    await server.start()
    control = TwsControl(server)
    options = SocketOptions(
        host="127.0.0.1", port=server.port, account=ACCOUNT, client_id=11,
        backoff=JitteredBackoff(0.05, 0.3),
    )  # fmt: skip
    try:
        yield SocketGateway(options), lambda mid: control.set_mid(AAPL_CON_ID, mid)
    finally:
        await server.stop()


@asynccontextmanager
async def websocket_path() -> AsyncIterator[tuple[BrokerGateway, Move]]:
    sim = CpSimulator(CpSimConfig(limits=SIM_LIMITS))
    await sim.start()
    settings = rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1")
    try:
        yield gateway(settings), lambda mid: sim.state.venue.quotes.set_mid(AAPL_CON_ID, mid)
    finally:
        await sim.stop()


async def measure(bootstrap: str, path: Callable[[], Path]) -> list[float]:
    """Seconds per move on one path."""
    async with path() as (broker_gateway, move):
        buses = [make_bus(name, bootstrap) for name in ("order-router", "market-data", "probe")]
        for bus in buses:
            await bus.start()
        router = RouterService(buses[0], broker_gateway)
        await router.start()
        await eventually(lambda: router.readiness()[0], what="router connected")
        market_data = await start_market_data(buses[1])
        try:
            watch = await QuoteWatch().start(buses[2])
            await subscribe(buses[2])
            await warm_up(watch, move, fresh_mids(40, Decimal(300)))
            return await latencies(watch, move, fresh_mids(MOVES))
        finally:
            await market_data.stop()
            await router.stop()
            for bus in buses:
                await bus.stop()


def _ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000}


async def run() -> dict[str, dict[str, float]]:
    async with running_broker() as broker:
        return {
            "socket": _ms(await measure(broker.bootstrap, socket_path)),
            "websocket": _ms(await measure(broker.bootstrap, websocket_path)),
        }


def main() -> None:
    print(f"quotes: venue price move -> sluice.md.quotes.v1 on Kafka, {MOVES} moves per path")
    figures = asyncio.run(run())
    for path, row in figures.items():
        print(f"  {path:<10} p50 {row['p50_ms']:7.1f} ms   p99 {row['p99_ms']:7.1f} ms")
    print(json.dumps({"bench": "quotes", "moves": MOVES, **figures}))
