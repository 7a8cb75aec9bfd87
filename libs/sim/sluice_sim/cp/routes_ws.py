"""``/v1/api/ws``: the WebSocket handshake as IBKR's, then the hub's topics.

The HTTP guards are middleware for plain requests only, so the socket checks its own, in the
same order: caller allowlist, an SSO session, in ``webapi`` mode the ``oauth_token`` query
parameter (IBKR's OAuth 1.0a WebSocket URL carries the access token). A refused handshake is
closed before it is accepted, which the server answers with HTTP 403. Once open, the socket is
authorised by the ``api`` cookie or, without it, IBKR's ``{"message": "waiting for session"}``
until the client sends ``{"session": "<the session of /tickle>"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from .state import CpState
from .ws_hub import WsClient

log = logging.getLogger(__name__)
WS_ENDPOINT = "WS /ws"
"""The socket's name in the request counters."""


def _refusal(state: CpState, websocket: WebSocket) -> str | None:
    ip = websocket.client.host if websocket.client else "unknown"
    if state.allowlist is not None and ip not in state.allowlist:
        state.counters.refused_callers[ip] += 1
        return f"source address {ip} not registered"
    if not state.session.logged_in:
        return "not authenticated"
    if state.oauth is not None:
        token = websocket.query_params.get("oauth_token")
        if token != state.oauth.keys.access_token:
            state.counters.oauth_refusals["invalid token"] += 1
            return "invalid oauth_token"
    return None


async def _send(state: CpState, websocket: WebSocket, client: WsClient) -> None:
    """Push what the hub queues; a heartbeat when the socket was quiet for a while."""
    while True:
        try:
            async with asyncio.timeout(state.config.ws_heartbeat_s):
                message = await client.queue.get()
        except TimeoutError:
            state.streams.heartbeat(client)
            continue
        await websocket.send_text(json.dumps(message))


async def _authorise(state: CpState, websocket: WebSocket) -> None:
    """Return once the socket carries the session: its ``api`` cookie, or a session message."""
    if websocket.cookies.get("api") == state.session_token:
        return
    await websocket.send_text(json.dumps({"message": "waiting for session"}))
    while True:
        text = await websocket.receive_text()
        with contextlib.suppress(ValueError, AttributeError):
            if json.loads(text).get("session") == state.session_token:
                return
        state.streams.received["unauthorised"] += 1


async def _serve(state: CpState, websocket: WebSocket, client: WsClient) -> None:
    """Greet, then take the client's messages until it leaves or the socket is dropped."""
    hub = state.streams
    await _authorise(state, websocket)
    hub.greet(client, state.config.username, list(state.venue.accounts))
    sender = asyncio.create_task(_send(state, websocket, client))
    dropped = asyncio.create_task(client.dropped.wait())
    try:
        while True:
            receive = asyncio.ensure_future(websocket.receive_text())
            await asyncio.wait({receive, dropped}, return_when=asyncio.FIRST_COMPLETED)
            if dropped.done():
                receive.cancel()
                await websocket.close(code=1011)
                return
            hub.handle(client, receive.result())
    finally:
        for task in (sender, dropped):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def ws_routes(state: CpState) -> APIRouter:
    """The WebSocket endpoint bound to ``state``."""
    router = APIRouter()

    @router.websocket("/ws")
    async def stream(websocket: WebSocket) -> None:
        ip = websocket.client.host if websocket.client else "unknown"
        state.counters.endpoints[WS_ENDPOINT] += 1
        state.counters.callers[ip] += 1
        refused = _refusal(state, websocket)
        if refused is not None:
            log.warning("ws: handshake from %s refused: %s", ip, refused)
            await websocket.close(code=1008)
            return
        await websocket.accept()
        client = state.streams.attach(ip)
        try:
            await _serve(state, websocket, client)
        except WebSocketDisconnect:
            return
        finally:
            state.streams.detach(client)

    return router
