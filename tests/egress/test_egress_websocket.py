"""The Web API WebSocket leaves through the same door as every request: the real SOCKS5 proxy
(its outgoing address the one the simulator registers, the simulator's name resolvable only on
the proxy side), and never around it when the proxy is down."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from sluice_order_router.adapters.rest import RestGateway
from sluice_proto import Instrument
from tests.egress.fixtures import SHIELD_IP, SIM_HOST, ShieldProxy, cp_simulator, rest_settings
from tests.egress.fixtures import gateway as make_gateway
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

AAPL = 265598
WS = "WS /ws"


class Ticks:
    """The bids the gateway relays."""

    def __init__(self) -> None:
        self.bids: list[Decimal | None] = []

    async def on_tick(self, _: Instrument, prices: dict[str, Decimal | None]) -> None:
        self.bids.append(prices.get("bid"))


async def _ignore(*_: object) -> None:
    return None


def _wired(gw: RestGateway, ticks: Ticks) -> RestGateway:
    gw.set_callbacks(_ignore, _ignore, ticks.on_tick)
    return gw


async def test_the_websocket_goes_through_the_proxy(shield: ShieldProxy) -> None:
    ticks = Ticks()
    async with cp_simulator() as sim:  # registers only SHIELD_IP
        gw = _wired(make_gateway(rest_settings(sim, shield.url)), ticks)
        try:
            await gw.connect()
            await gw.subscribe_quotes(Instrument(symbol="AAPL"))
            await eventually(lambda: gw.stream.live, what="the WebSocket open")
            assert [c.ip for c in sim.state.streams.clients] == [SHIELD_IP]
            sim.state.venue.quotes.set_mid(AAPL, Decimal("175.5"))
            await eventually(lambda: Decimal("175.49") in ticks.bids, what="a pushed quote")
        finally:
            await gw.close()
        counters = sim.control.counters()
    assert counters["endpoints"][WS] >= 1
    assert set(counters["callers"]) == {SHIELD_IP}  # requests and the socket alike
    assert counters["refused_callers"] == {}
    assert f"-> {SIM_HOST}:{sim.port}" in shield.seen_destinations()  # resolved proxy-side


async def test_with_the_proxy_down_the_websocket_does_not_go_around(
    shield: ShieldProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sluice_order_router.adapters.rest.stream")
    async with cp_simulator(allowlist=None) as sim:  # even an open simulator sees nothing direct
        gw = _wired(make_gateway(rest_settings(sim, shield.url)), Ticks())
        try:
            await gw.connect()
            await eventually(lambda: gw.stream.live, what="the WebSocket open")
            opened = sim.control.counters()["ws"]["connections"]
            shield.stop()
            try:
                await eventually(lambda: not gw.stream.live, what="the socket gone with the proxy")
                await eventually(
                    lambda: "proxy" in " ".join(r.getMessage() for r in caplog.records[-3:]),
                    what="a reopen refused at the proxy",
                )
                counters = sim.control.counters()
            finally:
                await shield.start()
            assert counters["ws"]["connections"] == opened
            assert set(counters["callers"]) == {SHIELD_IP}
            await eventually(lambda: gw.stream.live, what="the socket back through the proxy")
        finally:
            await gw.close()
