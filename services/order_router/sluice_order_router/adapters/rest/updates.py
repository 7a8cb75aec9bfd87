"""Turn successive snapshots into the order updates a push API would have sent (pure)."""

from __future__ import annotations

from decimal import Decimal

from sluice_order_router.domain.broker import BrokerSnapshot, BrokerStatus
from sluice_order_router.ports import OrderUpdate


class UpdateDiffer:
    """Remembers what was already reported; ``diff`` yields only what is new, fills first."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[BrokerStatus, Decimal]] = {}
        self._execs: set[str] = set()

    def prime(self, snapshot: BrokerSnapshot) -> None:
        """Take ``snapshot`` as already known (reconciliation reports it)."""
        self.diff(snapshot)

    def diff(self, snapshot: BrokerSnapshot) -> list[OrderUpdate]:
        """The updates since the last snapshot: one per new fill, else one per status change."""
        updates: list[OrderUpdate] = []
        for ref, order in snapshot.orders.items():
            fresh = [f for f in snapshot.fills.get(ref, []) if f.exec_id not in self._execs]
            for fill in fresh:
                self._execs.add(fill.exec_id)
                updates.append(OrderUpdate(order=order, fill=fill))
            state = (order.status, order.filled_quantity)
            if self._seen.get(ref) != state:
                self._seen[ref] = state
                if not fresh:
                    updates.append(OrderUpdate(order=order))
        return updates
