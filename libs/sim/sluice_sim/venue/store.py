"""The order store: every order and execution the venue has seen, across client connections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from .orders import Execution, VenueOrder


class OrderStore:
    """Remembers orders by ``(client_id, order_id)``, permId and orderRef, plus all executions.

    Nothing is forgotten when a client disconnects, so a reconnecting client can be told about
    completed orders and executions from an earlier connection. A new day (the gateway's daily
    restart) forgets the finished orders and the executions, as IBKR does: what a client can
    ask for is day-scoped. Every placement is kept in ``placed`` (across days), so tests can
    check that no order id was used twice.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[int, int], VenueOrder] = {}
        self._by_perm: dict[int, VenueOrder] = {}
        self._executions: list[Execution] = []
        self._refs: Counter[str] = Counter()
        self.placed: list[tuple[int, int, str]] = []
        """``(client_id, order_id, order_ref)`` of every new order, in order, across days."""

    def add(self, order: VenueOrder) -> None:
        self._by_key[order.key] = order
        self._by_perm[order.perm_id] = order
        self.placed.append((order.spec.client_id, order.spec.order_id, order.spec.order_ref))
        if order.spec.order_ref:
            self._refs[order.spec.order_ref] += 1

    def new_day(self) -> None:
        """Forget finished orders and every execution; working (GTC) orders stay."""
        for order in [o for o in self if o.status.is_done]:
            del self._by_key[order.key]
            del self._by_perm[order.perm_id]
        self._executions.clear()

    def reused_order_ids(self) -> list[tuple[int, int]]:
        """``(client_id, order_id)`` pairs used for more than one new order (any day)."""
        seen = Counter((client_id, order_id) for client_id, order_id, _ in self.placed)
        return sorted(key for key, count in seen.items() if count > 1)

    def add_execution(self, execution: Execution) -> None:
        self._executions.append(execution)

    def get(self, client_id: int, order_id: int) -> VenueOrder | None:
        return self._by_key.get((client_id, order_id))

    def by_perm(self, perm_id: int) -> VenueOrder | None:
        return self._by_perm.get(perm_id)

    def __iter__(self) -> Iterator[VenueOrder]:
        return iter(self._by_perm.values())

    def open_orders(self, client_id: int | None = None) -> list[VenueOrder]:
        """Working orders, of one client or (``None``) of all."""
        return [
            o
            for o in self
            if not o.status.is_done and (client_id is None or o.spec.client_id == client_id)
        ]

    def completed_orders(self) -> list[VenueOrder]:
        return [o for o in self if o.status.is_done]

    def executions(self, client_id: int | None = None) -> list[Execution]:
        return [e for e in self._executions if client_id is None or e.client_id == client_id]

    def orders_with_ref(self, order_ref: str) -> int:
        """How many orders were placed with this orderRef (duplicates show as > 1)."""
        return self._refs[order_ref]

    def max_order_id(self) -> int:
        return max((key[1] for key in self._by_key), default=0)
