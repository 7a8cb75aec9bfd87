"""One API client connection: reads requests, enforces pacing, dispatches, writes replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.encode.session import NO_ID, error
from sluice_sim.tws.faults import Counters, Faults, PacingWindow
from sluice_sim.tws.fields import Fields
from sluice_sim.tws.framing import ProtocolError, frame, read_message
from sluice_sim.tws.history_pacing import HistoryPacing
from sluice_sim.venue import OrderSpec, PaperVenue

log = logging.getLogger(__name__)

Handler = Callable[["Session", list[str]], None]

PACING_TEXT = "Max rate of messages per second has been exceeded:max=%d rec=%d (%d)"


class SessionHost(Protocol):
    """What a session and its handlers use of the server that accepted it (``TwsServer``).

    Narrow on purpose: the server imports the sessions and handlers, so they see it only
    through this port and never import it back.
    """

    @property
    def venue(self) -> PaperVenue: ...

    @property
    def config(self) -> TwsConfig: ...

    @property
    def faults(self) -> Faults: ...

    @property
    def counters(self) -> Counters: ...

    @property
    def history_pacing(self) -> HistoryPacing: ...

    def next_order_id(self) -> int:
        """The next order id a client may use."""
        ...

    def note_order_id(self, order_id: int) -> None:
        """Remember that a client used ``order_id``."""
        ...

    def market_data_lines_in_use(self) -> int:
        """Streaming market-data lines held by all clients (the user's lines are shared)."""
        ...


class Session:
    """State of one connected client: its id, subscriptions and socket."""

    def __init__(self, server: SessionHost, client_id: int, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.client_id = client_id
        self._writer = writer
        self._pacing = PacingWindow()
        self.market_data: dict[int, int] = {}  # reqId -> conId
        self.positions_subscribed = False
        self.account_updates: set[str] = set()
        self.pnl_requests: dict[int, str] = {}  # reqPnL's reqId -> account
        self.held: list[Fields] = []  # order events withheld while the gateway holds acks
        self.staged: list[OrderSpec] = []
        """Orders sent with transmit=False: TWS keeps them until an order transmits them."""

    @property
    def venue(self) -> PaperVenue:
        return self.server.venue

    def sees(self, order_client_id: int) -> bool:
        """Whether order events of ``order_client_id`` are reported to this client."""
        master = self.server.config.master_client_id
        return self.client_id in {order_client_id, master}

    def send(self, fields: Fields) -> None:
        if not self._writer.is_closing():
            self._writer.write(frame(fields))

    def send_error(self, req_id: int, code: int, text: str) -> None:
        self.send(error(req_id, code, text))

    def push(self, fields: Fields) -> None:
        """An unsolicited order event: withheld while the ``hold_acks`` fault is on."""
        if self.server.faults.hold_acks:
            self.held.append(fields)
        else:
            self.send(fields)

    def release_held(self) -> None:
        """Send the withheld order events, in their original order."""
        held, self.held = self.held, []
        for fields in held:
            self.send(fields)

    def close(self) -> None:
        self._writer.close()

    async def serve(self, reader: asyncio.StreamReader, handlers: dict[int, Handler]) -> None:
        """Process requests until the client disconnects or the session is closed."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                fields = await read_message(reader)
            except (asyncio.IncompleteReadError, ConnectionError, ProtocolError):
                return
            if not fields:
                continue
            counters = self.server.counters
            counters.messages_by_client[self.client_id] += 1
            limit = self.server.faults.pacing_msgs_per_s
            if not self._pacing.admit(loop.time(), limit):
                counters.pacing_violations[self.client_id] += 1
                log.warning(
                    "pacing: client %d over %d msg/s, message dropped (100)", self.client_id, limit
                )
                self.send_error(NO_ID, 100, PACING_TEXT % (limit, limit + 1, limit + 1))
                continue
            handler = handlers.get(int(fields[0]) if fields[0].isdigit() else -1)
            if handler is None:
                log.debug("client %d: unsupported message %s", self.client_id, fields[0])
                continue
            try:
                handler(self, fields)
            except (IndexError, ValueError) as exc:
                self.send_error(NO_ID, 320, f"Error reading request: {exc}")
            await self.drain()

    async def drain(self) -> None:
        try:
            await self._writer.drain()
        except ConnectionError:
            self.close()
