"""The simulator's WebSocket (``/v1/api/ws``): topics, message shapes, expiry and faults.

What IBKR's Web API streams, in its shapes (docs/simulators.md, "WebSocket"):

- ``smd+<conid>+{"fields": [...]}``: market data. Each push carries ``topic``, ``conid``,
  ``conidEx``, ``server_id`` (also as field ``6119``), ``_updated`` (epoch ms) and only the
  fields whose value changed since the last push to that socket. A subscription ends
  ``smd_expiry_s`` after it was made (IBKR terminates market-data topics after some minutes);
  sending the same ``smd`` again renews it. ``umd+<conid>+{}`` ends it.
- ``sor+{}``: live orders, ``{"topic": "sor", "args": [<order>, ...]}`` with the entries of
  ``GET /iserver/account/orders``; the current orders on subscribe, then each change.
- ``str+{}``: trades, ``{"topic": "str", "args": [<trade>, ...]}`` with the entries of
  ``GET /iserver/account/trades``, one message per execution as it happens.
- ``spl+{}``: account PnL, ``{"topic": "spl", "args": {"<acct>.Core": {"rowType": 1, "dpl",
  "nl", "upl", "uel", "mv"}}}`` on subscribe and after each execution.
- ``tic``: the client's heartbeat, answered with ``{"topic": "tic", "alive": true, ...}``;
  the server's own ``{"topic": "system", "hb": <epoch ms>}`` on a socket quiet for
  ``ws_heartbeat_s``.

Faults: ``silence()`` stops every push to the sockets open now (they stay open and still answer
pings: a stream gone quiet), ``drop()`` closes them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice_sim.venue import ExecutionOccurred, OrderStatusChanged, PaperVenue, Quote, VenueEvent

from . import shapes

log = logging.getLogger(__name__)
Message = dict[str, Any]

QUOTE_FIELDS = {
    "31": "last",
    "84": "bid",
    "85": "ask_size",
    "86": "ask",
    "88": "bid_size",
    "7059": "last_size",
    "87": "volume",
}
"""IBKR's market-data field ids the simulator fills, and the venue quote attribute of each."""


def _epoch_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class WsClient:
    """One open socket: what it subscribed to and what was pushed last."""

    ip: str
    queue: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    md: dict[int, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    """conid → (fields, when the subscription lapses on the hub's clock)."""
    last: dict[int, dict[str, str]] = field(default_factory=dict)
    orders: bool = False
    trades: bool = False
    pnl: bool = False
    silent: bool = False
    dropped: asyncio.Event = field(default_factory=asyncio.Event)


class StreamHub:
    """Every open socket of one simulator, fed by the venue's quote and order events."""

    def __init__(
        self,
        venue: PaperVenue,
        client_id: int,
        clock: Callable[[], float],
        smd_expiry_s: float,
    ) -> None:
        """``client_id``: the venue client id whose orders this API shows (the CP's own)."""
        self._venue = venue
        self._client_id = client_id
        self._clock = clock
        self.smd_expiry_s = smd_expiry_s
        self.clients: list[WsClient] = []
        self.received: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.connections = 0
        venue.quotes.subscribe(self._on_quote)
        venue.subscribe(self._on_venue)

    def attach(self, ip: str) -> WsClient:
        client = WsClient(ip)
        self.clients.append(client)
        self.connections += 1
        return client

    def detach(self, client: WsClient) -> None:
        if client in self.clients:
            self.clients.remove(client)

    def greet(self, client: WsClient, user: str, accounts: list[str]) -> None:
        """What IBKR sends once the socket has a session: system, account, status."""
        self._push(client, {"topic": "system", "success": user, "isFT": False, "isPaper": True})
        act = {"accounts": accounts, "acctProps": {}, "aliases": {a: a for a in accounts}}
        self._push(client, {"topic": "act", "args": {**act, "selectedAccount": accounts[0]}})
        sts = {"authenticated": True, "competing": False, "message": "", "fail": ""}
        self._push(client, {"topic": "sts", "args": {**sts, "username": user}})

    def heartbeat(self, client: WsClient) -> None:
        """The server's heartbeat on one socket."""
        self._push(client, {"topic": "system", "hb": _epoch_ms()})

    def handle(self, client: WsClient, text: str) -> None:
        """One message from the client: a subscription, an unsubscription or a heartbeat."""
        topic, _, rest = text.strip().partition("+")
        self.received[topic] += 1
        if topic == "tic":
            self._push(client, {"topic": "tic", "alive": True, "lastAccessed": _epoch_ms()})
        elif topic == "smd":
            con_id, _, args = rest.partition("+")
            self._subscribe_md(client, con_id, args)
        elif topic == "umd":
            conid = rest.partition("+")[0]
            client.md.pop(int(conid) if conid.isdigit() else 0, None)
            client.last.pop(int(conid) if conid.isdigit() else 0, None)
        elif topic in ("sor", "uor"):
            client.orders = topic == "sor"
            if client.orders:
                self._push(client, {"topic": "sor", "args": self._orders()})
        elif topic in ("str", "utr"):
            client.trades = topic == "str"
        elif topic in ("spl", "upl"):
            client.pnl = topic == "spl"
            if client.pnl:
                self._push(client, self._pnl())
        else:
            log.info("ws: %s sent an unknown topic %r", client.ip, topic)

    def silence(self) -> int:
        """Stop every push to the sockets open now; they stay open. Returns how many."""
        for client in self.clients:
            client.silent = True
        log.warning("fault: %d WebSocket(s) go silent (open, nothing sent)", len(self.clients))
        return len(self.clients)

    def drop(self) -> int:
        """Close the sockets open now. Returns how many."""
        for client in self.clients:
            client.dropped.set()
        log.warning("fault: %d WebSocket(s) dropped", len(self.clients))
        return len(self.clients)

    def _subscribe_md(self, client: WsClient, con_id: str, args: str) -> None:
        try:
            fields = tuple(str(f) for f in (json.loads(args or "{}").get("fields") or ()))
            conid = int(con_id)
            quote = self._venue.quotes.quote(conid)
        except (ValueError, KeyError, AttributeError):
            self._push(client, {"topic": f"smd+{con_id}", "error": "invalid conid or fields"})
            return
        client.md[conid] = (fields, self._clock() + self.smd_expiry_s)
        client.last.pop(conid, None)  # a (re)subscription starts with every field
        self._push_quote(client, quote)

    def _on_quote(self, quote: Quote) -> None:
        for client in list(self.clients):
            self._push_quote(client, quote)

    def _push_quote(self, client: WsClient, quote: Quote) -> None:
        sub = client.md.get(quote.con_id)
        if sub is None:
            return
        fields, lapses_at = sub
        if self._clock() >= lapses_at:
            del client.md[quote.con_id]  # IBKR ends the topic; a new smd starts it again
            client.last.pop(quote.con_id, None)
            return
        values = {f: str(getattr(quote, QUOTE_FIELDS[f])) for f in fields if f in QUOTE_FIELDS}
        before = client.last.setdefault(quote.con_id, {})
        changed = {f: v for f, v in values.items() if before.get(f) != v}
        if not changed:
            return
        before.update(changed)
        server_id = f"q{quote.con_id % 100}"
        message: Message = {
            "topic": f"smd+{quote.con_id}",
            "conid": quote.con_id,
            "conidEx": str(quote.con_id),
            "server_id": server_id,
            "6119": server_id,
            "_updated": _epoch_ms(),
            **changed,
        }
        self._push(client, message)

    def _on_venue(self, event: VenueEvent) -> None:
        order = event.order
        if order.spec.client_id != self._client_id:
            return
        inst = self._venue.universe.get(order.spec.con_id)
        for client in list(self.clients):
            if isinstance(event, ExecutionOccurred):
                if client.trades:
                    trade = shapes.trade(event.execution, inst)
                    self._push(client, {"topic": "str", "args": [trade]})
                if client.pnl:
                    self._push(client, self._pnl())
            elif isinstance(event, OrderStatusChanged) and client.orders:
                self._push(client, {"topic": "sor", "args": [shapes.live_order(order, inst)]})

    def _orders(self) -> list[Message]:
        universe = self._venue.universe
        return [
            shapes.live_order(o, universe.get(o.spec.con_id))
            for o in self._venue.store
            if o.spec.client_id == self._client_id
        ]

    def _pnl(self) -> Message:
        rows: dict[str, Any] = {}
        for account_id in self._venue.accounts:
            values = self._venue.account_values(account_id)
            unrealized = values["UnrealizedPnL"]
            rows[f"{account_id}.Core"] = {
                "rowType": 1,
                "dpl": float(values["RealizedPnL"] + unrealized),
                "nl": float(values["NetLiquidation"]),
                "upl": float(unrealized),
                "uel": float(values["ExcessLiquidity"]),
                "mv": float(values["GrossPositionValue"]),
                "el": float(values["ExcessLiquidity"]),
            }
        return {"topic": "spl", "args": rows}

    def _push(self, client: WsClient, message: Message) -> None:
        if client.silent:
            return
        self.sent[str(message.get("topic", "")).partition("+")[0]] += 1
        client.queue.put_nowait(message)
