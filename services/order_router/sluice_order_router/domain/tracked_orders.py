"""All tracked orders, rebuilt from the router's own journal (``sluice.orders.events.v1``).

The journal is the write-ahead log: every order the router ever meant to send has an
``OrderSubmitting`` or ``OrderHeld`` record carrying the order itself, so a restarted router
knows what may be at IBKR and can resend what is not, without the original command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sluice_order_router.domain.tracker import TrackedOrder, track
from sluice_proto.orders import (
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderBrokerRejected,
    OrderCancelled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderHeld,
    OrderPartiallyFilled,
    OrderRejected,
    OrderSubmitted,
    OrderSubmitting,
)

Reported = (
    OrderSubmitted
    | OrderAccepted
    | OrderPartiallyFilled
    | OrderFilled
    | OrderCancelled
    | OrderBrokerRejected
)
"""Journal events that record what IBKR said about an order."""


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

    @property
    def high_water(self) -> int:
        """The highest order id any attempt was sent with (0 when none carries one)."""
        return max((o.sent_order_id or 0 for o in self._orders.values()), default=0)

    def replay(self, event: OrderEvent) -> None:
        """Fold one journal event in (idempotent; events arrive in order per account).

        Event types that change no order (start marks, duplicates, audits) are skipped.
        """
        fold = _FOLDS.get(type(event))
        if fold is not None:
            fold(self, event)

    def _intended(self, event: OrderSubmitting | OrderHeld) -> TrackedOrder | None:
        """An order the router meant to send, tracked (as held) from the order it carries."""
        record = self._orders.get(event.client_order_id)
        if record is None and event.order is not None:
            record = self.add(track(event.order, "held"))
        return record

    def _submitting(self, event: OrderSubmitting) -> None:
        record = self._intended(event)
        if record is not None:
            record.move("submitting")
            record.attempts = max(record.attempts, event.attempt)
            record.sent_order_id = event.broker_order_id or record.sent_order_id
            record.ibkr_floor = event.ibkr_floor or record.ibkr_floor
            record.contract = event.contract or record.contract

    def _held(self, event: OrderHeld) -> None:
        record = self._intended(event)
        if record is not None and event.unknown:  # the verdict outlives the router
            record.unknown = True

    def _refused(self, event: OrderRejected) -> None:
        if event.rejected_by != "router":
            return
        record = self._orders.get(event.client_order_id)
        if record is None:  # refused on arrival: remembered so a redelivery is dropped
            self.add(TrackedOrder(event.client_order_id, event.account, "rejected"))
        else:  # a held order refused on release: it must not be sent after a restart
            record.move("rejected")

    def _expired(self, event: OrderExpired) -> None:
        if event.expired_by != "router":
            return  # risk's: never approved, so never the router's
        record = self._orders.get(event.client_order_id)
        if record is None:  # expired on arrival: remembered so a redelivery is dropped
            self.add(TrackedOrder(event.client_order_id, event.account, "expired"))
        else:  # it must not be sent after a restart
            record.move("expired")

    def _amend_submitting(self, event: OrderAmendSubmitting) -> None:
        """An amend written ahead: its revision is taken up, its outcome follows."""
        record = self._orders.get(event.client_order_id)
        if record is not None and event.revision > record.revision:
            record.revision, record.amending = event.revision, event.order

    def _amended(self, event: OrderAmended) -> None:
        record = self._orders.get(event.client_order_id)
        if record is not None and event.order is not None and event.revision >= record.revision:
            record.order, record.quantity = event.order, event.order.quantity
            record.revision, record.amending = event.revision, None

    def _amend_rejected(self, event: OrderAmendRejected) -> None:
        if event.rejected_by != "broker":
            return  # risk's or the router's refusal: never taken up, nothing pending changes
        record = self._orders.get(event.client_order_id)
        if record is not None and event.revision == record.revision:
            record.amending = None

    def _reported(self, event: Reported) -> None:
        """What IBKR reported about an order the journal already knows (else skipped)."""
        record = self._orders.get(event.client_order_id)
        if record is not None:
            _REPORTS[type(event)](record, event)


E = TypeVar("E")
Fold = Callable[[TrackedOrders, Any], object]
Report = Callable[[TrackedOrder, Any], object]


def _report(kind: type[E], apply: Callable[[TrackedOrder, E], object]) -> dict[type[Any], Report]:
    """One row of ``_REPORTS``; mypy checks ``apply`` against ``kind``."""
    return {kind: apply}


_REPORTS: dict[type[Any], Report] = {
    **_report(OrderSubmitted, lambda r, e: r.acknowledged(e.broker_order_id, e.perm_id, e.adopted)),
    **_report(OrderAccepted, lambda r, e: r.working(e.status)),
    **_report(OrderPartiallyFilled, lambda r, e: r.add_fill(e.fill)),
    **_report(OrderFilled, lambda r, e: r.add_fill(e.fill)),
    **_report(OrderCancelled, lambda r, e: r.cancelled(e.reason)),
    **_report(OrderBrokerRejected, lambda r, e: r.rejected(e.code, e.text)),
}
"""What IBKR reported, by event type, folded into the order it concerns."""

_FOLDS: dict[type[Any], Fold] = {
    OrderHeld: TrackedOrders._held,
    OrderSubmitting: TrackedOrders._submitting,
    OrderRejected: TrackedOrders._refused,
    OrderExpired: TrackedOrders._expired,
    OrderAmendSubmitting: TrackedOrders._amend_submitting,
    OrderAmended: TrackedOrders._amended,
    OrderAmendRejected: TrackedOrders._amend_rejected,
    **dict.fromkeys(_REPORTS, TrackedOrders._reported),
}
