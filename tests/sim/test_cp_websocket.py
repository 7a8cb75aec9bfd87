"""The Client Portal simulator's WebSocket (``/v1/api/ws``), driven by a real client (httpx-ws
over HTTPS): the session handshake, each topic's shape, the market-data expiry, the faults."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
from httpx_ws import (
    AsyncWebSocketSession,
    WebSocketDisconnect,
    WebSocketUpgradeError,
    aconnect_ws,
)

from sluice_sim.cp import CpSimConfig, CpSimulator
from sluice_sim.venue import VenueConfig

AAPL = 265598
ACCOUNT = "DU1234567"


@pytest.fixture
async def sim() -> AsyncIterator[CpSimulator]:
    config = CpSimConfig(
        limits={}, smd_expiry_s=0.5, venue=VenueConfig(accounts={ACCOUNT: Decimal(10**6)})
    )
    simulator = CpSimulator(config)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http(sim: CpSimulator) -> AsyncIterator[httpx.AsyncClient]:
    context = ssl.create_default_context(cafile=str(sim.cert_path))
    async with httpx.AsyncClient(base_url=sim.base_url(), verify=context, timeout=10) as client:
        yield client


def _socket(
    http: httpx.AsyncClient, session: str | None = None, oauth_token: str | None = None
) -> AbstractAsyncContextManager[AsyncWebSocketSession]:
    """A socket to the simulator, authorised by the ``api`` cookie when ``session`` is given."""
    headers = {"Cookie": f"api={session}"} if session else {}
    params = {"oauth_token": oauth_token} if oauth_token else None
    return cast(
        AbstractAsyncContextManager[AsyncWebSocketSession],
        aconnect_ws("/ws", http, headers=headers, params=params),
    )


async def _next(ws: AsyncWebSocketSession, topic: str) -> dict[str, Any]:
    """The next message whose topic starts with ``topic`` (heartbeats and others skipped)."""
    while True:
        message = json.loads(await ws.receive_text(timeout=5))
        if str(message.get("topic", "")).startswith(topic):
            return dict(message)


async def _session(http: httpx.AsyncClient) -> str:
    return str((await http.post("/tickle")).json()["session"])


async def test_session_handshake_then_greeting(sim: CpSimulator, http: httpx.AsyncClient) -> None:
    session = await _session(http)
    async with _socket(http) as ws:
        assert json.loads(await ws.receive_text(timeout=5)) == {"message": "waiting for session"}
        await ws.send_text(json.dumps({"session": "not-it"}))
        await ws.send_text(json.dumps({"session": session}))
        assert (await _next(ws, "system"))["success"] == sim.config.username
        assert (await _next(ws, "act"))["args"]["accounts"] == [ACCOUNT]
        assert (await _next(ws, "sts"))["args"]["authenticated"] is True
        await ws.send_text("tic")
        assert (await _next(ws, "tic"))["alive"] is True
    assert sim.control.counters()["ws"]["received"] == {"unauthorised": 1, "tic": 1}


async def test_api_cookie_authorises_without_waiting(http: httpx.AsyncClient) -> None:
    session = await _session(http)
    async with _socket(http, session) as ws:
        assert json.loads(await ws.receive_text(timeout=5))["topic"] == "system"


async def test_market_data_pushes_changes_and_lapses_unless_renewed(
    sim: CpSimulator, http: httpx.AsyncClient
) -> None:
    session = await _session(http)
    async with _socket(http, session) as ws:
        await ws.send_text(f'smd+{AAPL}+{{"fields":["31","84","86"]}}')
        first = await _next(ws, f"smd+{AAPL}")
        assert {"31", "84", "86", "conid", "_updated", "server_id"} <= set(first)
        sim.state.venue.quotes.set_mid(AAPL, Decimal("200"))
        moved = await _next(ws, f"smd+{AAPL}")
        assert moved["84"] == "199.99"
        assert "31" not in moved  # only what changed: no trade, so no new last
        # past the (short) expiry the topic is over: a move is no longer pushed ...
        await _until_lapsed(sim, ws)
        sim.state.venue.quotes.set_mid(AAPL, Decimal("201"))
        await ws.send_text("tic")
        assert (await _next(ws, "")).get("topic") == "tic"
        # ... until the same smd renews it
        await ws.send_text(f'smd+{AAPL}+{{"fields":["31","84","86"]}}')
        assert (await _next(ws, f"smd+{AAPL}"))["84"] == "200.99"


async def _until_lapsed(sim: CpSimulator, ws: AsyncWebSocketSession) -> None:
    """Wait out the expiry on the simulator's clock (a venue step past it ends the topic)."""
    client = sim.state.streams.clients[0]
    lapses_at = client.md[AAPL][1]
    while sim.state.clock() < lapses_at:
        await ws.send_text("tic")
        await _next(ws, "tic")
    sim.state.venue.quotes.set_mid(AAPL, Decimal("200.5"))
    assert AAPL not in client.md


async def test_orders_trades_and_pnl_topics(sim: CpSimulator, http: httpx.AsyncClient) -> None:
    session = await _session(http)
    await http.get("/iserver/accounts")
    async with _socket(http, session) as ws:
        for topic in ("sor+{}", "str+{}", "spl+{}"):
            await ws.send_text(topic)
        assert (await _next(ws, "sor"))["args"] == []
        assert f"{ACCOUNT}.Core" in (await _next(ws, "spl"))["args"]
        order = {"conid": AAPL, "cOID": "ws-1", "orderType": "MKT", "side": "BUY", "quantity": 5}
        await http.post(f"/iserver/account/{ACCOUNT}/orders", json={"orders": [order]})
        seen: dict[str, list[Any]] = {"str": [], "sor": [], "spl": []}
        while not any(o["status"] == "Filled" for o in seen["sor"]):
            message = await _next(ws, "s")
            if message["topic"] in seen:
                args = message["args"]
                seen[message["topic"]] += args if isinstance(args, list) else [args]
        (trade,) = seen["str"]
        assert (trade["order_ref"], trade["size"]) == ("ws-1", 5.0)
        pnl = seen["spl"][0][f"{ACCOUNT}.Core"]
        assert {"dpl", "nl", "upl", "mv"} <= set(pnl)


async def test_silence_keeps_the_socket_open_and_drop_closes_it(
    sim: CpSimulator, http: httpx.AsyncClient
) -> None:
    session = await _session(http)
    async with _socket(http, session) as ws:
        await _next(ws, "sts")
        assert sim.control.silence_streams() == 1
        await ws.send_text("tic")
        with pytest.raises(TimeoutError):
            await ws.receive_text(timeout=0.5)
        assert sim.control.drop_streams() == 1
        with pytest.raises(WebSocketDisconnect):
            await ws.receive_text(timeout=5)
    # a new socket is not silent
    async with _socket(http, session) as fresh:
        assert (await _next(fresh, "system"))["success"]


async def test_an_unregistered_caller_is_refused(sim: CpSimulator, http: httpx.AsyncClient) -> None:
    sim.control.allow({"127.0.0.9"})
    with pytest.raises(WebSocketUpgradeError):
        async with _socket(http):
            pass
    assert sim.control.counters()["refused_callers"] == {"127.0.0.1": 1}


async def test_webapi_mode_wants_the_oauth_token_in_the_url() -> None:
    simulator = CpSimulator(CpSimConfig(mode="webapi", limits={}))
    await simulator.start()
    context = ssl.create_default_context(cafile=str(simulator.cert_path))
    try:
        async with httpx.AsyncClient(base_url=simulator.base_url(), verify=context) as http:
            session = simulator.state.session_token
            for token in (None, "not-the-token"):
                with pytest.raises(WebSocketUpgradeError):
                    async with _socket(http, session, token):
                        pass
            async with _socket(http, session, simulator.oauth_keys.access_token) as ws:
                assert json.loads(await ws.receive_text(timeout=5))["topic"] == "system"
    finally:
        await simulator.stop()
    assert simulator.control.counters()["oauth_refusals"] == {"invalid token": 2}
