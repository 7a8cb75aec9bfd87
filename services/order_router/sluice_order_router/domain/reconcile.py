"""The reconcile rule: what to do with each order once IBKR's snapshot is in hand.

Run on start and after every reconnect, before anything new is sent. For a pending order
(held, or ``submitting`` with an unknown outcome): found at IBKR by ``orderRef`` → adopt its
ids and report what was missed; absent → send it, once. Non-final orders IBKR still knows
are brought up to date (missed fills, cancels).

IBKR's lists are day-scoped: after the gateway's daily restart its finished orders and
executions are forgotten. So absence proves nothing for an order IBKR acknowledged (it can
only be absent because it was forgotten), nor for one in doubt that was sent before IBKR's day
rolled over (IBKR's ``nextValidId`` now is below its floor then, ``domain.order_ids``): such
an order is *unknown* for good, never sent again; a later snapshot or pushed update that
finds it by ``orderRef`` settles it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice_order_router.domain.broker import BrokerSnapshot
from sluice_order_router.domain.sync import apply_broker
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import TrackedOrder
from sluice_proto.orders import OrderEvent


@dataclass(slots=True)
class ReconcilePlan:
    """Events to publish (adoptions, missed fills) and orders to send now, in this order."""

    events: list[OrderEvent] = field(default_factory=list)
    to_send: list[TrackedOrder] = field(default_factory=list)
    unresolved: list[TrackedOrder] = field(default_factory=list)
    unknown: list[TrackedOrder] = field(default_factory=list)
    """Absent, but IBKR may have had them before its day rolled over: never resent."""


def reconcile(orders: TrackedOrders, snapshot: BrokerSnapshot) -> ReconcilePlan:
    """Decide, for every non-final tracked order, adopt / update / send once / unknown."""
    plan = ReconcilePlan()
    for record in orders.open():
        found = snapshot.orders.get(record.client_order_id)
        fills = snapshot.fills.get(record.client_order_id, [])
        pending = record.state in ("held", "submitting")
        if found is not None:
            plan.events += apply_broker(record, found, fills, adopted=pending)
        elif not pending or _sent_before_rollover(record, snapshot):
            if record.state == "submitting":
                record.unknown = True  # sticky: a later connection cannot clear it
            plan.unknown.append(record)
        elif record.order is not None:
            plan.to_send.append(record)
        else:
            plan.unresolved.append(record)
    return plan


def _sent_before_rollover(record: TrackedOrder, snapshot: BrokerSnapshot) -> bool:
    """Whether an attempt of ``record`` went out before IBKR forgot the day it was sent in."""
    if record.state != "submitting":
        return False
    now, then = snapshot.next_valid_id, record.ibkr_floor
    return record.unknown or (now is not None and then is not None and now < then)
