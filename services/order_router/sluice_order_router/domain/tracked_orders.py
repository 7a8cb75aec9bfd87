"""All tracked orders, rebuilt from the router's own journal (``sluice.orders.events.v1``).

The journal is the write-ahead log: every order the router ever meant to send has an
``OrderSubmitting`` or ``OrderHeld`` record carrying the order itself, so a restarted router
knows what may be at IBKR and can resend what is not, without the original command.
"""

from __future__ import annotations

from collections.abc import Iterator

from sluice_order_router.domain.tracker import TrackedOrder, track
from sluice_proto.orders import (
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderHeld,
    OrderPartiallyFilled,
    OrderRejected,
    OrderSubmitted,
    OrderSubmitting,
    RouterStarted,
)


class TrackedOrders:
    """``client_order_id`` → ``TrackedOrder`` for one account."""

    def __init__(self) -> None:
        self._orders: dict[str, TrackedOrder] = {}

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """The record of an order, if the router has ever seen it."""
        return self._orders.get(client_order_id)

    def add(self, record: TrackedOrder) -> TrackedOrder:
        """Start tracking an order (the caller checked it was unknown)."""
        self._orders[record.client_order_id] = record
        return record

    def __iter__(self) -> Iterator[TrackedOrder]:
        return iter(list(self._orders.values()))

    def pending(self) -> list[TrackedOrder]:
        """Held or submitting: these are what reconciliation must resolve."""
        return [o for o in self._orders.values() if o.state in ("held", "submitting")]

    def open(self) -> list[TrackedOrder]:
        """Every order that is not final."""
        return [o for o in self._orders.values() if not o.terminal]

    def replay(self, event: OrderEvent) -> None:
        """Fold one journal event in (idempotent; events arrive in order per account)."""
        if isinstance(event, RouterStarted):
            return
        if isinstance(event, OrderSubmitting | OrderHeld):
            self._replay_intent(event)
            return
        record = self._orders.get(event.client_order_id)
        if isinstance(event, OrderRejected):
            if event.rejected_by != "router":
                return
            if record is None:  # refused on arrival: remembered so a redelivery is dropped
                self.add(TrackedOrder(event.client_order_id, event.account, "rejected"))
            else:  # a held order refused on release: it must not be sent after a restart
                record.move("rejected")
            return
        if record is None:
            return
        if isinstance(event, OrderSubmitted):
            record.acknowledged(event.broker_order_id, event.perm_id, event.adopted)
        elif isinstance(event, OrderAccepted):
            record.working(event.status)
        elif isinstance(event, OrderPartiallyFilled | OrderFilled):
            record.add_fill(event.fill)
        elif isinstance(event, OrderCancelled):
            record.cancelled(event.reason)
        elif isinstance(event, OrderBrokerRejected):
            record.rejected(event.code, event.text)

    def _replay_intent(self, event: OrderSubmitting | OrderHeld) -> None:
        record = self._orders.get(event.client_order_id)
        if record is None:
            if event.order is None:
                return
            record = self.add(track(event.order, "held"))
        if isinstance(event, OrderSubmitting):
            record.move("submitting")
            record.attempts = max(record.attempts, event.attempt)
