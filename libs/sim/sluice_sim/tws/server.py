"""The simulated IB Gateway: accepts API sockets, runs sessions, fans venue events out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.encode.session import NO_ID, error, managed_accounts, next_valid_id
from sluice_sim.tws.faults import Counters, Faults
from sluice_sim.tws.fields import SERVER_VERSION
from sluice_sim.tws.framing import ProtocolError, frame, read_handshake, read_message
from sluice_sim.tws.handlers import HANDLERS, account, market, orders
from sluice_sim.tws.history_pacing import HistoryPacing
from sluice_sim.tws.session import Session
from sluice_sim.venue import ExecutionOccurred, PaperVenue, Quote, VenueConfig, VenueEvent

log = logging.getLogger(__name__)

CLIENT_ID_IN_USE = (
    "Unable to connect as the client id is already in use. Retry with a unique client id."
)
HANDSHAKE_TIMEOUT = 10.0
# IB Gateway's link notices (1100/1101/1102), word for word as it sends them at run time
LOST = "Connectivity between IB and Trader Workstation has been lost."
RESTORED_DATA_LOST = "Connectivity between IB and Trader Workstation has been restored - data lost."
RESTORED_DATA_KEPT = (
    "Connectivity between IB and Trader Workstation has been restored - data maintained."
)


class TwsServer:
    """An asyncio TCP server speaking TWS API server version 176 over a :class:`PaperVenue`."""

    def __init__(self, config: TwsConfig, venue: PaperVenue | None = None) -> None:
        self.config = config
        self.venue = venue or PaperVenue(
            VenueConfig(
                seed=config.seed,
                accounts=dict.fromkeys(config.accounts, config.cash),
                max_fill_per_step=config.max_fill_per_step,
            )
        )
        self.faults = Faults.from_config(config)
        self.counters = Counters()
        self.history_pacing = HistoryPacing()
        self.sessions: dict[int, Session] = {}
        self.port = config.port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_order_id = 1
        self.venue.subscribe(self._on_venue_event)
        self.venue.quotes.subscribe(self._on_quote)

    async def start(self) -> None:
        """Listen (port 0 picks a free one, then ``self.port`` holds it) and start timers."""
        await self._listen()
        if self.config.quote_interval > 0:
            self.spawn(self.venue.run(self.config.quote_interval))

    async def stop(self) -> None:
        await self._close_listener()
        for session in list(self.sessions.values()):
            session.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def next_order_id(self) -> int:
        self._next_order_id = max(self._next_order_id, self.venue.store.max_order_id() + 1)
        return self._next_order_id

    def note_order_id(self, order_id: int) -> None:
        self._next_order_id = max(self._next_order_id, order_id + 1)

    def market_data_lines_in_use(self) -> int:
        return sum(len(session.market_data) for session in self.sessions.values())

    def broadcast_error(self, code: int, text: str) -> None:
        for session in self.sessions.values():
            session.send_error(NO_ID, code, text)

    async def restart(self, window: float) -> None:
        """A daily restart: drop every client, refuse connections for ``window`` seconds.

        As IBKR's: DAY orders expire, a new day starts (finished orders and executions are
        forgotten, so requests for them answer only the new day's) and the order-id sequence
        starts again low: ``nextValidId`` rolls back to just past the surviving (GTC) orders.
        """
        until = datetime.now(UTC) + timedelta(seconds=window)
        log.warning(
            "restart: %d client(s) dropped, connections refused until %s (%.0f s); a new day",
            len(self.sessions), until.strftime("%H:%M:%S UTC"), window,
        )  # fmt: skip
        self.counters.restarts += 1
        await self._close_listener()
        for session in list(self.sessions.values()):
            session.close()
        self.venue.expire_day_orders()
        self.venue.store.new_day()
        self._next_order_id = 1
        log.info("restart: new day, order ids start again at %d", self.next_order_id())
        await asyncio.sleep(window)
        await self._listen()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a background task owned by the server (cancelled on stop)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, self.config.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[0]
        if not self.faults.trusts(peer):
            # IB Gateway closes untrusted sockets at once, without a word
            log.warning("fault: closed a connection from %s (not a Trusted IP)", peer)
            self.counters.refused_untrusted += 1
            writer.close()
            return
        try:
            client_id = await asyncio.wait_for(self._handshake(reader, writer), HANDSHAKE_TIMEOUT)
        except (asyncio.IncompleteReadError, ProtocolError, ConnectionError, TimeoutError):
            writer.close()
            return
        if client_id in self.sessions:
            self.counters.refused_client_id += 1
            writer.write(frame(error(NO_ID, 326, CLIENT_ID_IN_USE)))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        session = Session(self, client_id, writer)
        self.sessions[client_id] = session
        try:
            self._greet(session)
            await session.serve(reader, HANDLERS)
        finally:
            if self.sessions.get(client_id) is session:
                del self.sessions[client_id]
            session.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        low, high = await read_handshake(reader)
        if not low <= SERVER_VERSION <= high:
            raise ProtocolError(f"client versions {low}..{high} exclude {SERVER_VERSION}")
        now = datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")
        writer.write(frame([str(SERVER_VERSION), now]))
        fields = await read_message(reader)
        if not fields or fields[0] != "71":
            raise ProtocolError("expected startApi")
        return int(fields[2])

    def _greet(self, session: Session) -> None:
        session.send(managed_accounts(self.venue.accounts))
        session.send(next_valid_id(self.next_order_id()))
        if self.faults.connectivity_lost:  # IB Gateway tells a newcomer its upstream is down
            session.send_error(NO_ID, 1100, LOST)
            return
        for code, text in self.config.farm_status:
            session.send_error(NO_ID, code, text)

    def _on_venue_event(self, event: VenueEvent) -> None:
        for session in list(self.sessions.values()):
            orders.on_venue_event(session, event)
            if isinstance(event, ExecutionOccurred):
                spec = event.order.spec
                account.on_fill(session, spec.account, spec.con_id)

    def _on_quote(self, quote: Quote) -> None:
        if self.faults.connectivity_lost:
            return
        for session in list(self.sessions.values()):
            market.on_quote(session, quote)
