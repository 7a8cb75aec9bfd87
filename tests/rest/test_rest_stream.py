"""The REST path's WebSocket against the Client Portal simulator (a Client Portal Gateway, and
IBKR's hosted Web API with OAuth): quotes and fills pushed without polling, the market-data
expiry renewed, a silent socket reopened with a REST reconcile that reports a gap's fill once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.adapters.rest import RestGateway
from sluice_order_router.service import RouterService
from sluice_proto import Instrument
from sluice_proto.market_data import MdStart, MdTick
from sluice_proto.orders import OrderFilled, OrderPartiallyFilled
from sluice_proto.topics import MD_REQUESTS, MD_TICKS
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.collect import topic_events
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually

AAPL = 265598
SNAPSHOT = "GET /iserver/marketdata/snapshot"
TRADES = "GET /iserver/account/trades"
# The keeper's poll is slow here: whatever arrives quickly came over the socket.
QUIET = {"IBKR_CP_POLL_S": 30}
MODES = pytest.mark.parametrize("sim", ["gateway", "webapi"], indirect=True)


def _gateway(service: RouterService) -> RestGateway:
    gateway = service.gateway
    assert isinstance(gateway, RestGateway)
    return gateway


def _bids(broker: MemoryBroker) -> list[Decimal | None]:
    return [t.bid for t in topic_events(broker, MD_TICKS) if isinstance(t, MdTick)]


async def _stream_aapl(broker: MemoryBroker, gateway: RestGateway) -> None:
    await eventually(lambda: gateway.stream.live, what="the WebSocket open")
    start = MdStart(instrument=Instrument(symbol="AAPL"))
    await MemoryBus(broker, "market-data").publish(MD_REQUESTS, start, key="AAPL")
    await eventually(lambda: _bids(broker), what="the first tick")


def _has_bid(broker: MemoryBroker, bid: Decimal) -> Callable[[], bool]:
    return lambda: bid in _bids(broker)


def _fills(broker: MemoryBroker, coid: str) -> list[type]:
    return [k for k in kinds(broker, coid) if k in (OrderFilled, OrderPartiallyFilled)]


@MODES
async def test_quotes_and_fills_are_pushed_without_polling(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    service, broker = await start_rest_router(**QUIET)
    gateway = _gateway(service)
    await _stream_aapl(broker, gateway)
    for mid in (Decimal("190.5"), Decimal("191.5"), Decimal("192.5")):
        sim.state.venue.quotes.set_mid(AAPL, mid)
        await eventually(_has_bid(broker, mid - Decimal("0.01")), what=f"a quote at {mid}")
    trades_read = sim.control.counters()["endpoints"].get(TRADES, 0)
    await send(broker, approved("ws-fill"))
    await eventually(lambda: OrderFilled in kinds(broker, "ws-fill"), what="fill from the stream")

    counters = sim.control.counters()
    assert SNAPSHOT not in counters["endpoints"]  # no snapshot polling
    assert counters["endpoints"].get(TRADES, 0) == trades_read  # the fill was pushed, not read
    assert _fills(broker, "ws-fill") == [OrderFilled]
    assert counters["ws"]["received"]["smd"] >= 1
    assert {"sor", "str", "spl"} <= set(counters["ws"]["received"])
    await eventually(lambda: "DU1234567.Core" in gateway.feed.pnl, what="account PnL")


@MODES
async def test_expiry_renewed_and_a_silent_socket_reopened_with_the_gap_fill_once(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    sim.control.set_smd_expiry(1.0)
    service, broker = await start_rest_router(
        IBKR_WS_SMD_RENEW_S=0.3, IBKR_WS_SILENT_S=1.5, IBKR_WS_TIC_S=0.5, **QUIET
    )
    gateway = _gateway(service)
    await _stream_aapl(broker, gateway)
    # well past the expiry, quotes still flow: every smd was renewed before it lapsed
    await eventually(lambda: sim.control.counters()["ws"]["received"]["smd"] >= 5)
    sim.state.venue.quotes.set_mid(AAPL, Decimal("180.5"))
    await eventually(lambda: Decimal("180.49") in _bids(broker), what="a quote after the expiry")

    # the socket goes quiet (still open); an order fills in the gap
    opened = gateway.stream.opened
    sim.control.silence_streams()
    await send(broker, approved("gap-fill"))
    await eventually(lambda: sim.state.venue.store.orders_with_ref("gap-fill") == 1)
    await eventually(lambda: gateway.stream.opened > opened, what="the silent socket reopened")
    await eventually(lambda: OrderFilled in kinds(broker, "gap-fill"), what="the gap's fill")
    sim.state.venue.quotes.set_mid(AAPL, Decimal("181.5"))
    await eventually(lambda: Decimal("181.49") in _bids(broker), what="quotes resumed")
    assert _fills(broker, "gap-fill") == [OrderFilled]  # reported exactly once

    # a dropped socket: reopened, and a fill after it arrives once more, once
    opened = gateway.stream.opened
    sim.control.drop_streams()
    await eventually(lambda: gateway.stream.opened > opened and gateway.stream.live)
    await send(broker, approved("after-drop"))
    await eventually(lambda: OrderFilled in kinds(broker, "after-drop"))
    assert _fills(broker, "after-drop") == [OrderFilled]
    assert SNAPSHOT not in sim.control.counters()["endpoints"]
