"""What is news about our orders (pure): from the WebSocket's ``sor``/``str`` pushes and from the
REST snapshots a reconcile reads, each fill reported once by its execution id."""

from __future__ import annotations

from decimal import Decimal

from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot, BrokerStatus
from sluice_order_router.ports import OrderUpdate
from sluice_proto import Fill


class UpdateDiffer:
    """Remembers what was already reported; each method yields only what is new."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[BrokerStatus, Decimal]] = {}
        self._orders: dict[str, BrokerOrder] = {}
        self._execs: set[str] = set()

    def prime(self, snapshot: BrokerSnapshot) -> None:
        """Take ``snapshot`` as already known (reconciliation reports it)."""
        self.diff(snapshot)

    def known(self, client_order_id: str) -> BrokerOrder | None:
        """The last state seen of an order."""
        return self._orders.get(client_order_id)

    def status(self, order: BrokerOrder) -> list[OrderUpdate]:
        """An update when the order's status or filled quantity changed."""
        self._orders[order.client_order_id] = order
        state = (order.status, order.filled_quantity)
        if self._seen.get(order.client_order_id) == state:
            return []
        self._seen[order.client_order_id] = state
        return [OrderUpdate(order=order)]

    def fill(self, order: BrokerOrder, fill: Fill) -> list[OrderUpdate]:
        """An update for an execution not reported before."""
        if fill.exec_id in self._execs:
            return []
        self._execs.add(fill.exec_id)
        return [OrderUpdate(order=order, fill=fill)]

    def diff(self, snapshot: BrokerSnapshot) -> list[OrderUpdate]:
        """The updates since what was seen: one per new fill, else one per status change."""
        updates: list[OrderUpdate] = []
        for ref, order in snapshot.orders.items():
            fresh = [u for f in snapshot.fills.get(ref, []) for u in self.fill(order, f)]
            changed = self.status(order)
            updates += fresh or changed
        return updates
