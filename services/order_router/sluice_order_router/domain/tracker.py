"""Per-order bookkeeping: state, broker ids, fills; turns what happened into lifecycle events.

Pure: it never sends or publishes. The application layer records what it is about to do
(``submitting``), feeds in what IBKR reports and the journal it replays, and publishes the
events this returns. Fills are de-duplicated by ``exec_id`` so a replay or a reconcile never
reports a fill twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from sluice_order_router.domain.expiry import too_late
from sluice_order_router.domain.states import OrderState, can_move
from sluice_proto import ApprovedOrder, Fill, Instrument
from sluice_proto.orders import (
    FINAL_STATUSES,
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderSubmitted,
)


class EventIds(TypedDict):
    """The fields every lifecycle event of one order shares."""

    client_order_id: str
    account: str
    strategy_id: str
    signal_id: str
    symbol: str


@dataclass(slots=True)
class TrackedOrder:
    """What the router knows about one ``client_order_id``."""

    client_order_id: str
    account: str
    state: OrderState
    order: ApprovedOrder | None = None
    strategy_id: str = ""
    signal_id: str = ""
    symbol: str = ""
    quantity: Decimal = Decimal(0)
    broker_order_id: int | str | None = None
    sent_order_id: int | None = None
    """The order id of the latest attempt, where the client picks it (socket path)."""
    ibkr_floor: int | None = None
    """IBKR's floor when the latest attempt was sent (``domain.order_ids``)."""
    unknown: bool = False
    """Absent after IBKR's day rolled over since it was sent: never sent again."""
    perm_id: int | None = None
    attempts: int = 0
    cancel_requested: bool = False
    exec_ids: set[str] = field(default_factory=set)
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    revision: int = 0
    """The last amend revision the router took up (``domain.amends``)."""
    amending: ApprovedOrder | None = None
    """The order as an amend written ahead but not yet confirmed would make it."""
    contract: Instrument | None = None
    """The contract the order was sent on (an amend goes to it, even after a roll)."""

    @property
    def terminal(self) -> bool:
        """Filled, cancelled, rejected or expired: nothing more will happen to it."""
        return self.state in FINAL_STATUSES

    def expired_at(self, now: datetime) -> bool:
        """True when the order carries an expiry and ``now`` is past its send deadline (it
        must not be sent: ``domain.expiry``)."""
        return too_late(self.order, now)

    def expired(self, reason: str) -> list[OrderEvent]:
        """The order outlived its expiry before it was sent: it never will be."""
        if not self.move("expired"):
            return []
        expires_at = self.order.expires_at if self.order is not None else None
        return [
            OrderExpired(**self.ids(), expires_at=expires_at, reason=reason, expired_by="router")
        ]

    @property
    def avg_price(self) -> Decimal:
        """Volume-weighted average fill price (0 before the first fill)."""
        return self.notional / self.filled if self.filled else Decimal(0)

    def move(self, new: OrderState) -> bool:
        """Go to ``new`` if that is progress; report whether it moved."""
        if can_move(self.state, new):
            self.state = new
            return True
        return False

    def not_sent(self) -> None:
        """Back to ``held`` from ``submitting``: the attempt never left (the one move back)."""
        if self.state == "submitting":
            self.state = "held"

    def ids(self) -> EventIds:
        """The common fields of every lifecycle event of this order."""
        return {
            "client_order_id": self.client_order_id,
            "account": self.account,
            "strategy_id": self.strategy_id,
            "signal_id": self.signal_id,
            "symbol": self.symbol,
        }

    def acknowledged(
        self, broker_order_id: int | str, perm_id: int | None, adopted: bool
    ) -> list[OrderEvent]:
        """IBKR gave (or, on reconcile, turned out to have given) the order its ids."""
        self.broker_order_id = broker_order_id
        self.perm_id = perm_id or self.perm_id
        if not self.move("acknowledged"):
            return []
        return [
            OrderSubmitted(
                **self.ids(), broker_order_id=broker_order_id, perm_id=perm_id, adopted=adopted
            )
        ]

    def working(self, status: str = "Submitted") -> list[OrderEvent]:
        """The order is live at the venue."""
        if self.broker_order_id is None or not self.move("working"):
            return []
        return [OrderAccepted(**self.ids(), broker_order_id=self.broker_order_id, status=status)]

    def cancelled(self, reason: str = "") -> list[OrderEvent]:
        """Cancelled or expired at IBKR (or withdrawn before it was ever sent)."""
        if not self.move("cancelled"):
            return []
        return [OrderCancelled(**self.ids(), filled_quantity=self.filled, reason=reason)]

    def rejected(self, code: int | None, text: str) -> list[OrderEvent]:
        """IBKR refused the order, with its own code and text."""
        if not self.move("rejected"):
            return []
        return [OrderBrokerRejected(**self.ids(), code=code, text=text)]

    def add_fill(self, fill: Fill) -> list[OrderEvent]:
        """Record one execution once; partial or complete by the ordered quantity."""
        if fill.exec_id in self.exec_ids:
            return []
        self.exec_ids.add(fill.exec_id)
        self.filled += fill.quantity
        self.notional += fill.quantity * fill.price
        side = self.order.side if self.order is not None else None
        if self.quantity and self.filled >= self.quantity:
            self.state = "filled"
            return [
                OrderFilled(
                    **self.ids(),
                    fill=fill,
                    filled_quantity=self.filled,
                    avg_fill_price=self.avg_price,
                    side=side,
                )
            ]
        self.move("partial")
        return [
            OrderPartiallyFilled(
                **self.ids(),
                fill=fill,
                filled_quantity=self.filled,
                remaining_quantity=self.quantity - self.filled,
                avg_fill_price=self.avg_price,
                side=side,
            )
        ]


def track(order: ApprovedOrder, state: OrderState) -> TrackedOrder:
    """A new record for an approved order."""
    return TrackedOrder(
        client_order_id=order.client_order_id,
        account=order.account,
        state=state,
        order=order,
        strategy_id=order.strategy_id,
        signal_id=order.signal_id,
        symbol=order.instrument.symbol,
        quantity=order.quantity,
    )
