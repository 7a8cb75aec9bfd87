"""The router's port to IBKR: one interface, two adapters (socket via ib_async, REST via httpx).

The application layer (``service.py``) owns the write-ahead / reconcile rule and the lifecycle
events; an adapter only translates between these types and one IBKR API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.order_ids import OrderIdLease
from sluice_order_router.domain.qualify import choose
from sluice_proto import (
    ApprovedOrder,
    BrokerPnl,
    BrokerTruth,
    Fill,
    Instrument,
    SweptOrder,
    utc_now,
)
from sluice_proto.history import Bar, HistoryRequest
from sluice_proto.session import ApiPath, AuthStatusReport, ConnectionReport, EgressReport


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A status change or fill pushed by IBKR for one of our orders."""

    order: BrokerOrder
    fill: Fill | None = None
    error_code: int | None = None
    error_text: str | None = None
    cancel_refused: bool = False
    """IBKR refused a cancel (code and text above); the order's own state is unchanged."""


class BrokerRejectedError(Exception):
    """IBKR refused an order or a cancel; carries IBKR's code and text."""

    def __init__(self, code: int | None, text: str) -> None:
        super().__init__(f"IBKR {code}: {text}" if code is not None else text)
        self.code = code
        self.text = text


class AmbiguousInstrumentError(BrokerRejectedError):
    """IBKR has several contracts that fit the instrument; ``candidates`` lists them. Code 200
    as in TWS ("The contract description specified for ... is ambiguous"); orders and quote
    streams refused for it say ``AMBIGUOUS_INSTRUMENT`` with the candidates."""

    def __init__(self, instrument: Instrument, candidates: list[Instrument]) -> None:
        names = ", ".join(_describe(c) for c in candidates)
        super().__init__(
            200, f"{instrument.key} is ambiguous: {len(candidates)} contracts ({names})"
        )
        self.candidates = candidates


def _describe(contract: Instrument) -> str:
    name = contract.local_symbol or contract.symbol
    return f"{name} {contract.exchange} {contract.currency} conId {contract.con_id}"


def one_contract(wanted: Instrument, found: list[Instrument]) -> Instrument:
    """The one contract of IBKR's answer ``found`` that ``wanted`` names (``domain.qualify``);
    ``BrokerRejectedError`` 200 for none, ``AmbiguousInstrumentError`` for several."""
    chosen = choose(wanted, found, utc_now().date())
    if not chosen:
        raise BrokerRejectedError(200, f"no security definition for {wanted.key}")
    if len(chosen) > 1:
        raise AmbiguousInstrumentError(wanted, chosen)
    return chosen[0]


class NotConnectedError(Exception):
    """The gateway is down (or the egress door is): hold the order, do not drop it."""


class NotSentError(NotConnectedError):
    """The link was down before the order left: it is certainly not at IBKR, so it is held
    (and sent after the reconnect), never in doubt."""


class ExpiredUnsentError(Exception):
    """The order's send deadline (``domain.expiry``) passed while it waited to leave (the
    pacer, the rate limiter, a reply prompt): it never reached IBKR and never will."""


class OrderInDoubtError(Exception):
    """IBKR's answer leaves the order's fate open (e.g. 103, duplicate order id): reconcile
    looks it up by ``orderRef``; it is never simply sent again."""


OnOrderUpdate = Callable[[OrderUpdate], Awaitable[None]]
OnConnection = Callable[[ConnectionReport], Awaitable[None]]
OnTick = Callable[[Instrument, dict[str, Decimal | None]], Awaitable[None]]
OnQuoteRefused = Callable[[Instrument, BrokerRejectedError], Awaitable[None]]
OnPnl = Callable[[BrokerPnl], Awaitable[None]]


class BrokerGateway(Protocol):
    """One IBKR API as the router uses it."""

    path: ApiPath
    account: str

    @property
    def managed_accounts(self) -> tuple[str, ...] | None:
        """Every account the login manages, as IBKR said at the last connect (None before)."""

    async def connect(self) -> None:
        """Connect (or raise); callbacks fire from here on."""

    async def close(self) -> None:
        """Disconnect for good."""

    @property
    def connected(self) -> bool:
        """True while orders can be sent."""

    def set_callbacks(
        self,
        on_update: OnOrderUpdate,
        on_connection: OnConnection,
        on_tick: OnTick,
        on_refused: OnQuoteRefused | None = None,
    ) -> None:
        """Where the adapter delivers pushed updates, connection changes and ticks, and
        streams IBKR refused after ``subscribe_quotes`` returned (the stream is over)."""

    async def qualify(self, instrument: Instrument) -> Instrument:
        """The one contract IBKR has for the instrument: its conId and every term IBKR knows
        (expiry, strike, right, multiplier, local symbol, ...); an instrument with a conId is
        returned as it is. ``BrokerRejectedError`` (200) when IBKR has none,
        ``AmbiguousInstrumentError`` when it has several (``one_contract``)."""

    def protect_order_ids(self, high_water: int) -> None:
        """Never send an order id at or below ``high_water`` (the journal's highest)."""

    def reserve_order_id(self) -> OrderIdLease | None:
        """The id the next ``place`` is to use (and IBKR's floor now), where the client picks
        it (socket); None elsewhere, or while the link is down."""

    async def place(
        self, order: ApprovedOrder, instrument: Instrument, order_id: int | None = None
    ) -> BrokerOrder:
        """Send once with ``orderRef``/``cOID`` = ``order.client_order_id`` (and ``order_id``
        from ``reserve_order_id``); return IBKR's ids."""

    async def place_bracket(
        self, legs: list[ApprovedOrder], instrument: Instrument, order_ids: list[int | None]
    ) -> list[BrokerOrder | BrokerRejectedError]:
        """Send a bracket (``domain.brackets.legs``) as one unit, each leg with its own
        ``orderRef``/``cOID`` (and id from ``reserve_order_id``); IBKR's answer per leg."""

    async def cancel(self, client_order_id: str) -> None:
        """Ask IBKR to cancel; the outcome arrives as an ``OrderUpdate``."""

    async def amend(self, order: ApprovedOrder, instrument: Instrument) -> BrokerOrder:
        """Modify the working order ``order.client_order_id`` to ``order``'s terms under its
        IBKR order id, once; ``BrokerRejectedError`` with IBKR's code and text when IBKR
        refuses (e.g. the order filled first)."""

    async def cancel_all(self, account: str) -> list[SweptOrder]:
        """Ask IBKR to cancel every open order of ``account``, whoever placed it (the kill
        switch's scope ``all``; the socket path can only cancel every account of the login);
        the orders it covered. Outcomes arrive as ``OrderUpdate``s."""

    async def snapshot(self) -> BrokerSnapshot:
        """Open orders, completed orders and executions, for reconciliation."""

    async def truth(self, account: str) -> BrokerTruth:
        """``account`` as IBKR holds it: positions, every open order (all clients, those
        placed by hand included) and the account summary; ``NotConnectedError`` when down."""

    async def subscribe_quotes(self, instrument: Instrument) -> None:
        """Start streaming ticks for an instrument (ticks go to ``on_tick``)."""

    async def unsubscribe_quotes(self, instrument: Instrument) -> None:
        """Stop streaming an instrument."""

    async def history(self, request: HistoryRequest) -> list[Bar]:
        """Historical bars, oldest first (the caller keeps IBKR's pacing rules);
        ``BrokerRejectedError`` when IBKR refuses, ``InvalidHistoryError`` when the request has
        no IBKR spelling. Unbounded: the caller times it out."""

    async def session_command(self, command: str) -> AuthStatusReport | EgressReport | None:
        """Run a session-keeper command (tickle, auth_status, reauthenticate, logout,
        check_egress, reconnect); None where the path has no such thing."""


@runtime_checkable
class PnlStreamed(Protocol):
    """A gateway that pushes the broker's own account PnL as the broker sends it."""

    def set_pnl_callback(self, on_pnl: OnPnl) -> None:
        """Where the adapter delivers each PnL of a watched account (unthrottled, maybe
        unchanged)."""

    async def watch_pnl(self, accounts: Collection[str]) -> None:
        """Stream the PnL of exactly ``accounts`` (the router's trading ones): subscribe the
        new (their latest figures, when the adapter has them, go out at once), drop the rest.
        Kept across reconnects; the adapter subscribes again where IBKR forgot."""


@runtime_checkable
class EgressNoted(Protocol):
    """A gateway that can say, in a sentence, how its egress IP is (or is not) verified."""

    egress_note: str


@dataclass(slots=True)
class PacingStats:
    """How IBKR pacing held requests back: how many wait now, and the waits so far."""

    waiting: int = 0
    waits: int = 0
    waited_s: float = 0.0

    def waited(self, seconds: float) -> None:
        """One request got its token after ``seconds``."""
        self.waits += 1
        self.waited_s += seconds


@runtime_checkable
class Paced(Protocol):
    """A gateway whose requests to IBKR wait for pacing tokens (for ``/metrics``)."""

    pacing: PacingStats
