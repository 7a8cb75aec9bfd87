"""The Web API's WebSocket (``/v1/api/ws``): one socket, kept open, through the same door.

It is opened by ``CpClient.websocket`` on the adapter's one httpx client, so it leaves through
the same SOCKS5h proxy (or none), with the same pinned TLS and, on the hosted Web API, the same
OAuth signer; the session is the one ``/tickle`` names (its ``session``, sent as IBKR's ``api``
cookie, and again as ``{"session": ...}`` if the socket says "waiting for session"). On the
hosted Web API the URL also carries ``oauth_token`` (IBKR's OAuth 1.0a WebSocket URL).

Once open it subscribes live orders (``sor``), trades (``str``), account PnL (``spl``) and each
instrument's market data (``smd``), then calls ``on_open`` (the adapter's REST reconcile, so no
fill is missed across a gap). While open it sends IBKR's ``tic`` heartbeat every ``tic_s``,
renews every ``smd`` every ``smd_renew_s`` (IBKR ends market-data topics after some minutes;
the order topics are sent again with them, as order updates are known to go quiet after some
hours while the socket stays open; the adapter reports each order change and fill once), and
treats a socket that said nothing for ``silent_s`` as dead. Whatever ends it, it is opened
again after the jittered backoff (``domain/backoff.py``), once the session is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from httpx_ws import AsyncWebSocketSession, HTTPXWSException

from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.ports import NotConnectedError
from sluice_runtime.redaction import redact

from . import quotes
from .client import CpClient

log = logging.getLogger(__name__)
Message = dict[str, Any]
OnMessage = Callable[[Message], Awaitable[None]]
ORDER_TOPICS = ("sor+{}", "str+{}", "spl+{}")


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """How often to beat and renew, and how long a quiet socket is still alive."""

    tic_s: float = 60.0
    smd_renew_s: float = 300.0
    silent_s: float = 90.0


class CpStream:
    """The socket's life: open when ``ready`` is set, subscribe, keep alive, reopen."""

    def __init__(
        self,
        client: CpClient,
        ready: asyncio.Event,
        *,
        on_message: OnMessage,
        on_open: Callable[[], Awaitable[None]],
        timing: StreamTiming,
        backoff: JitteredBackoff,
        oauth_token: str | None = None,
    ) -> None:
        self._client = client
        self._ready = ready
        self._on_message, self._on_open = on_message, on_open
        self._timing = timing
        self._backoff = backoff
        self._params = {"oauth_token": oauth_token} if oauth_token else None
        self._con_ids: set[int] = set()
        self._ws: AsyncWebSocketSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.live = False
        """True while the socket is open and subscribed (fills arrive on it)."""
        self.opened = 0
        """Sockets opened so far."""

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cp-stream")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.live = False

    async def subscribe(self, con_id: int) -> None:
        """Stream ``con_id``'s market data (now when open, else once it opens)."""
        self._con_ids.add(con_id)
        await self._send(quotes.subscribe_message(con_id))

    async def unsubscribe(self, con_id: int) -> None:
        self._con_ids.discard(con_id)
        await self._send(quotes.unsubscribe_message(con_id))

    async def _send(self, text: str) -> None:
        ws = self._ws
        if ws is not None and self.live:
            with contextlib.suppress(HTTPXWSException, OSError):  # the reader notices and reopens
                await ws.send_text(text)

    async def _run(self) -> None:
        attempt = 0
        while True:
            await self._ready.wait()
            try:
                why = await self._session()
                attempt = 0 if self.live else attempt
            except NotConnectedError as exc:
                why = str(exc)
            except Exception as exc:  # whatever ended the socket, it is opened again
                why = redact(f"{type(exc).__name__}: {exc}")
            finally:
                self.live = False
                self._ws = None
            attempt += 1
            delay = self._backoff.delay(attempt)
            log.warning("ws: stream ended (%s); reopening in %.1f s", why, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> str:
        """One socket from open to end; why it ended."""
        tickle = await self._client.request("POST", "/tickle")
        session = str(tickle.get("session", "")) if isinstance(tickle, dict) else ""
        if not session:
            raise NotConnectedError("no session in /tickle's answer")
        headers = {"Cookie": f"api={session}"}
        async with self._client.websocket("/ws", params=self._params, headers=headers) as ws:
            self._ws = ws
            self.opened += 1
            try:
                await self._subscribe_all(ws)
                self.live = True
                await self._on_open()
                return await self._pump(ws, session)
            except NotConnectedError as exc:  # the reconcile on open could not run
                return str(exc)
            except (HTTPXWSException, OSError) as exc:
                return redact(f"{type(exc).__name__}: {exc}")

    async def _subscribe_all(self, ws: AsyncWebSocketSession) -> None:
        for topic in ORDER_TOPICS:
            await ws.send_text(topic)
        for con_id in sorted(self._con_ids):
            await ws.send_text(quotes.subscribe_message(con_id))

    async def _pump(self, ws: AsyncWebSocketSession, session: str) -> str:
        """Read until the socket ends or goes quiet; beat and renew on time."""
        loop = asyncio.get_running_loop()
        timing = self._timing
        now = loop.time()
        heard, next_tic, next_renew = now, now + timing.tic_s, now + timing.smd_renew_s
        while True:
            now = loop.time()
            if now - heard >= timing.silent_s:
                return f"nothing received for {timing.silent_s:g} s"
            if now >= next_tic:
                next_tic = now + timing.tic_s
                await ws.send_text("tic")
            if now >= next_renew:  # the order topics too: they are known to go quiet
                next_renew = now + timing.smd_renew_s
                await self._subscribe_all(ws)
            wait = min(next_tic, next_renew, heard + timing.silent_s) - now
            try:
                text = await ws.receive_text(timeout=max(wait, 0.001))
            except TimeoutError:
                continue
            heard = loop.time()
            message = _decode(text)
            if message.get("message") == "waiting for session":
                await ws.send_text(json.dumps({"session": session}))
            elif message:
                await self._on_message(message)


def _decode(text: str) -> Message:
    try:
        message = json.loads(text)
    except ValueError:
        log.debug("ws: not JSON: %.200s", text)
        return {}
    return message if isinstance(message, dict) else {}
