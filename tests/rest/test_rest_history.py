"""Historical bars through the REST path: market-data's ``GET /history``, the router's
``/iserver/marketdata/history`` call, the Client Portal simulator answering in IBKR's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx

from sluice_bus import MemoryBus
from sluice_market_data.bootstrap import build
from sluice_market_data.config import MarketDataSettings
from sluice_runtime import build_app
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter

HISTORY = "GET /iserver/marketdata/history"
END = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


async def test_bars_through_the_web_api_then_from_the_cache(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    bus = MemoryBus(broker, "market-data")
    await bus.start()
    assembly = build(MarketDataSettings(history_timeout_s=10.0), bus)
    await assembly.component.start()
    app = build_app(assembly.component, bus, routes=assembly.routes)
    query = {"symbol": "AAPL", "duration": "1D", "bar": "1h", "end": END.isoformat()}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://md", timeout=30
        ) as client:
            first = await client.get("/history", params=query)
            again = await client.get("/history", params=query)
            bad = await client.get("/history", params={**query, "duration": "90S"})
    finally:
        await assembly.component.stop()
        await bus.stop()
    assert first.status_code == 200, first.text
    bars = first.json()["bars"]
    assert len(bars) == 24 and bars[-1]["start"] == "2026-12-01T14:00:00Z"
    prices = [[Decimal(b[f]) for f in ("low", "open", "close", "high")] for b in bars]
    assert all(lo <= min(o, c) <= max(o, c) <= hi for lo, o, c, hi in prices)
    assert (again.json()["cached"], again.json()["bars"]) == (True, bars)
    assert sim.control.counters()["endpoints"][HISTORY] == 1
    # the Web API has no period in seconds: refused by the router, never sent
    assert (bad.status_code, bad.json()["reason"]) == (400, "INVALID_REQUEST")
    assert sim.control.counters()["endpoints"][HISTORY] == 1
