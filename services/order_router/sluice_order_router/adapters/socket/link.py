"""Keeps the socket connected: client-id pool, reconnect with backoff, IBKR link state.

Reports every change as a ``ConnectionReport`` (the session-keeper's input). ``up`` is
False while the socket is down and between IBKR's 1100 (connectivity lost) and 1101/1102
(restored), so orders are held rather than sent into a dead link; ``domain.connectivity``
decides which gateway messages move that state and what each connection reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ib_async import IB

from sluice_order_router.adapters.socket.chatter import quiet_per_order_lines
from sluice_order_router.adapters.socket.handshake import ClientIdInUseError, Endpoint, open_api
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.client_ids import ClientIdPool
from sluice_order_router.domain.connectivity import Connectivity, LinkReport
from sluice_proto.session import ConnectionStatus
from sluice_runtime.outages import OutageLog

log = logging.getLogger(__name__)

Report = Callable[[ConnectionStatus, int | None, str], None]


class Link:
    """One IB connection kept alive until ``close``."""

    def __init__(
        self,
        ib: IB,
        endpoint: Endpoint,
        pool: ClientIdPool,
        backoff: JitteredBackoff,
        report: Report,
    ) -> None:
        self._ib = ib
        self._endpoint = endpoint
        self._pool = pool
        self._backoff = backoff
        self._report = report
        self._ibkr = Connectivity()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        # ib_async logs an ERROR or two per failed reconnect: one line per outage instead
        self._outage = OutageLog(f"IB Gateway {endpoint.host}:{endpoint.port}", ("ib_async",))
        self._outage.attach()
        quiet_per_order_lines()  # about nine INFO lines per order, each formatted as JSON
        ib.errorEvent += self._on_error
        ib.disconnectedEvent += self._on_disconnected

    @property
    def up(self) -> bool:
        """Socket connected and IBKR reachable behind it."""
        return self._ib.isConnected() and self._ibkr.up

    @property
    def synced(self) -> bool:
        """The API start-up is over: what IBKR pushes now is news, not the initial sync."""
        return self._connected.is_set()

    @property
    def client_id(self) -> int:
        """The client id in use (or to be tried next)."""
        return self._pool.current

    async def connect(self) -> None:
        """Return once connected; keeps reconnecting after every loss until ``close``."""
        self._ensure_task()
        await self._connected.wait()

    def reconnect(self) -> None:
        """Drop the socket; the loop connects again (the session-keeper's ``reconnect``)."""
        self._ib.disconnect()

    async def close(self) -> None:
        """Disconnect for good."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._ib.disconnect()
        self._outage.detach()

    def _ensure_task(self) -> None:
        if not self._closing and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def _keep_connected(self) -> None:
        attempt = 0
        while not self._closing:
            attempt += 1
            self._ibkr.socket_opening()
            try:
                await open_api(self._ib, self._endpoint, self.client_id)
            except ClientIdInUseError as exc:
                self._report("client_id_in_use", 326, str(exc))
                if self._pool.in_use():
                    continue  # the next id in the pool, at once
            except (OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                self._outage.link_down(reason)
                self._report("refused", None, reason)
            else:
                self._outage.link_up()
                self._connected.set()
                self._send(self._ibkr.api_started(self.client_id))
                return
            await asyncio.sleep(self._backoff.delay(attempt))

    def _on_error(self, req_id: int, code: int, text: str, contract: Any) -> None:
        report = self._ibkr.gateway_said(req_id, code, text)
        if report is not None:
            self._send(report)

    def _send(self, report: LinkReport) -> None:
        self._report(report.status, report.code, report.message)

    def _on_disconnected(self) -> None:
        self._ibkr.socket_closed()
        self._connected.clear()
        if self._closing:
            return
        self._outage.link_down("socket closed")
        self._report("disconnected", None, "socket closed")
        self._ensure_task()
