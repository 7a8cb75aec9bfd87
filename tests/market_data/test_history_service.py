"""Historical bars end to end: HTTP to market-data, the bus (in-memory and the real Kafka
broker), the real router with its socket adapter, and the TWS simulator answering."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sluice_bus import make_bus
from sluice_market_data.bootstrap import build as build_market_data
from sluice_market_data.config import MarketDataSettings
from sluice_market_data.service import MarketData
from sluice_order_router.bootstrap import build as build_router
from sluice_order_router.config import RouterSettings
from sluice_order_router.service import RouterService
from sluice_runtime import build_app
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.collect import Backend
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually

END = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
async def tws() -> AsyncIterator[TwsServer]:
    server = TwsServer(TwsConfig(port=0, accounts=(ACCOUNT,)))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def router(tws: TwsServer, backend: Backend) -> AsyncIterator[RouterService]:
    bus = make_bus("order-router", *backend)
    await bus.start()
    settings = RouterSettings(
        ibkr_api="socket", ibkr_account=ACCOUNT, ibkr_port=tws.port, ibkr_client_id=41,
        reconnect_initial_s=0.05, reconnect_max_s=0.2,
    )  # fmt: skip
    service = build_router(settings, bus).component
    await service.start()
    await eventually(lambda: service.readiness()[0], what="the router's link")
    yield service
    await service.stop()
    await bus.stop()


Get = Callable[..., Any]


@pytest.fixture
async def history(tws: TwsServer, router: RouterService, backend: Backend) -> AsyncIterator[Get]:
    """``GET /history`` on a market-data service with a 10 s timeout: room for a rebalance of
    the routers' shared history group (other tests' routers come and go on the shared broker)
    before the burst's held requests would be refused, yet under IBKR's 15 s identical-request
    wait."""
    bus = make_bus("market-data", *backend)
    await bus.start()
    assembly = build_market_data(MarketDataSettings(history_timeout_s=10.0), bus)
    service: MarketData = assembly.component
    await service.start()
    app = build_app(service, bus, routes=assembly.routes)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://md", timeout=30
    ) as client:

        async def get(**params: Any) -> httpx.Response:
            return await client.get("/history", params=params)

        # on Kafka the router's shared request group may still be rebalancing: one answered
        # request (each attempt a distinct window) says the whole path is up
        attempts = iter(range(1, 1000))

        async def answered() -> bool:
            end = (END - timedelta(days=next(attempts))).isoformat()
            return (await get(symbol="MSFT", duration="1D", bar="1d", end=end)).status_code == 200

        await eventually(answered, within=60, interval=0.5, what="a first answer")
        # the warm-up's requests are not the test's: count from here
        tws.counters.history_requests = tws.counters.history_pacing_violations = 0
        yield get
    await service.stop()
    await bus.stop()


def _requests(tws: TwsServer) -> tuple[int, int]:
    """reqHistoricalData the simulator received, and refused for pacing, since the fixture's
    first answer."""
    counters = TwsControl(tws).counters()
    return int(counters["history_requests"]), int(counters["history_pacing_violations"])  # type: ignore[call-overload]


async def test_bars_come_from_the_simulator_then_from_the_cache(
    tws: TwsServer, history: Get
) -> None:
    query = {"symbol": "AAPL", "duration": "2D", "bar": "1h", "end": END.isoformat()}
    first = await history(**query, what_to_show="MIDPOINT")
    assert first.status_code == 200, first.text
    body = first.json()
    assert (len(body["bars"]), body["cached"]) == (48, False)
    assert body["bars"][-1]["start"] == "2026-12-01T14:00:00Z"
    assert all(bar["volume"] is None for bar in body["bars"])
    again = await history(**query, what_to_show="MIDPOINT")
    assert (again.status_code, again.json()["cached"]) == (200, True)
    assert again.json()["bars"] == body["bars"]
    assert _requests(tws) == (1, 0)  # the simulator saw one request


async def test_identical_requests_in_flight_are_one_request(tws: TwsServer, history: Get) -> None:
    query = {"symbol": "MSFT", "duration": "1D", "bar": "30m", "end": END.isoformat()}
    answers = await asyncio.gather(*(history(**query) for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.json()["bars"] == answers[0].json()["bars"] for a in answers)
    assert _requests(tws) == (1, 0)


async def test_a_paced_burst_waits_or_is_refused_never_a_162(tws: TwsServer, history: Get) -> None:
    """Seven small-bar requests for one contract at once: IBKR allows five in two seconds, so
    the router holds the rest for their slot. Then the same open-window request twice: IBKR
    allows it again only after 15 s, past market-data's 10 s timeout, so the router refuses it
    with PACING at once rather than let IBKR answer 162."""
    ends = [END - timedelta(minutes=n) for n in range(7)]
    burst = await asyncio.gather(
        *(history(symbol="SPY", duration="60S", bar="5s", end=e.isoformat()) for e in ends)
    )
    assert [b.status_code for b in burst] == [200] * 7
    assert all(len(b.json()["bars"]) == 12 for b in burst)
    open_window = {"symbol": "SPY", "duration": "60S", "bar": "5s", "what_to_show": "BID"}
    assert (await history(**open_window)).status_code == 200
    refused = await history(**open_window)
    assert refused.status_code == 429
    assert refused.json()["reason"] == "PACING"
    assert _requests(tws) == (8, 0)  # the refused one never reached the simulator


async def test_a_slow_contract_lookup_does_not_bunch_a_burst(tws: TwsServer, history: Get) -> None:
    """Five of six requests wait a second for their contract lookups while the sixth's is
    quick: the router paces each request from when it goes, not from when it was asked, so
    IBKR never sees six in two seconds (CI caught a loaded run doing exactly that)."""
    TwsControl(tws).slow_lookups(5, delay_s=1.0)
    ends = [END - timedelta(minutes=n) for n in range(6)]
    burst = await asyncio.gather(
        *(history(symbol="SPY", duration="60S", bar="5s", end=e.isoformat()) for e in ends)
    )
    assert [b.status_code for b in burst] == [200] * 6
    assert _requests(tws) == (6, 0)


async def test_refusals_carry_the_contracts_reason(history: Get) -> None:
    unknown = await history(symbol=f"Z{uuid.uuid4().hex[:5].upper()}", duration="1D", bar="1h")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "UNKNOWN_INSTRUMENT")
    illegal = await history(symbol="AAPL", duration="1D", bar="7m")  # no such bar size at IBKR
    assert (illegal.status_code, illegal.json()["reason"]) == (400, "INVALID_REQUEST")
    garbled = await history(symbol="AAPL", duration="one day", bar="5m", what_to_show="VOL")
    assert (garbled.status_code, garbled.json()["reason"]) == (400, "INVALID_REQUEST")
    assert "duration" in garbled.json()["message"] and "VOL" in garbled.json()["message"]


async def test_a_162_from_ibkr_is_relayed_as_pacing(tws: TwsServer, history: Get) -> None:
    """Another client of the same IBKR user spent the ten-minute budget: IBKR answers 162, and
    market-data's caller sees only the contract's reason."""
    for n in range(60):
        assert tws.history_pacing.admit((f"other-{n}", "TRADES"))
    refused = await history(symbol="AAPL", duration="60S", bar="5s", end=END.isoformat())
    assert (refused.status_code, refused.json()["reason"]) == (429, "PACING")
    assert _requests(tws) == (1, 1)
