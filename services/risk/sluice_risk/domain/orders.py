"""Every signal risk has decided and the order it became: seen ids, working orders, rates."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sluice_proto import Instrument
from sluice_proto.common import OrderType, Side, TimeInForce
from sluice_proto.risk_state import DeferredSignal, RiskOrderStatus
from sluice_risk.domain.market import instrument_key

ZERO = Decimal(0)


@dataclass(slots=True)
class DecidedOrder:
    """One decided signal; ``status`` is ``open`` from approval until a final event."""

    client_order_id: str
    account: str
    strategy_id: str
    signal_id: str
    instrument: Instrument
    side: Side
    quantity: Decimal
    status: RiskOrderStatus
    limit_price: Decimal | None = None
    filled_quantity: Decimal = ZERO
    avg_fill_price: Decimal = ZERO
    approved_at: datetime | None = None
    con_id: int | None = None
    """IBKR's conId of the contract the order went out as, once the router says."""
    order_type: OrderType | None = None
    """None for an order restored from before risk kept it (priced: LMT, else MKT)."""
    stop_price: Decimal | None = None
    tif: TimeInForce = "DAY"
    revision: int = 0
    """The last amend revision decided for the order (idempotency of ``ModifyRequest``)."""
    parent: str | None = None
    """A bracket child: its parent's client order id (it only closes what the parent opens)."""
    oca_group: str | None = None
    """One-cancels-all group: at most one member fills (a bracket's children share one)."""
    deferred: DeferredSignal | None = None
    """While ``status`` is ``deferred``: the signal and what it waits for (else None)."""
    key: str = field(init=False)
    """The instrument's ``instrument_key`` (positions and quotes are matched on it)."""

    def __post_init__(self) -> None:
        self.key = instrument_key(self.instrument)

    @property
    def remaining(self) -> Decimal:
        """Quantity still working at the broker (zero once final)."""
        return max(self.quantity - self.filled_quantity, ZERO) if self.status == "open" else ZERO

    @property
    def direction(self) -> int:
        """+1 for buys, -1 for sells."""
        return 1 if self.side == "BUY" else -1


class OrderLedger:
    """Orders by client order id, the open ones by account, the deferred ones, approvals by
    strategy.

    The ledger is the one record of a deferred signal: a ``deferred`` order carries its
    ``DeferredSignal`` and no other order does, so the deferred index cannot disagree with
    the statuses.
    """

    def __init__(self, rate_horizon_s: float) -> None:
        self._orders: dict[str, DecidedOrder] = {}
        self._open: dict[str, dict[str, DecidedOrder]] = {}
        self._deferred: dict[str, tuple[str, DeferredSignal]] = {}
        self._approvals: dict[str, deque[datetime]] = {}
        self._horizon = timedelta(seconds=rate_horizon_s)

    def get(self, client_order_id: str) -> DecidedOrder | None:
        """The order, if the signal was ever decided or its order seen."""
        return self._orders.get(client_order_id)

    def record(self, order: DecidedOrder) -> None:
        """Add or replace an order and keep the open index in step."""
        self._orders[order.client_order_id] = order
        self._index(order)

    def set_status(self, order: DecidedOrder, status: RiskOrderStatus) -> None:
        """Move an order to ``status``; a final order never reopens."""
        if order.status in ("open", "deferred") or status != "open":
            order.status = status
            self._index(order)

    def _index(self, order: DecidedOrder) -> None:
        account_open = self._open.setdefault(order.account, {})
        if order.status == "open":
            account_open[order.client_order_id] = order
        else:
            account_open.pop(order.client_order_id, None)
        if order.status == "deferred":
            if order.deferred is None:
                raise ValueError(f"deferred order {order.client_order_id} without its signal")
            self._deferred[order.client_order_id] = (order.account, order.deferred)
        else:  # decided: the signal no longer waits
            order.deferred = None
            self._deferred.pop(order.client_order_id, None)

    def book_fill(
        self,
        order: DecidedOrder,
        filled: Decimal,
        avg_price: Decimal,
        last: tuple[Decimal, Decimal],
    ) -> tuple[Decimal, Decimal] | None:
        """Advance the order to cumulative ``filled`` at ``avg_price``.

        Returns the new quantity and its price, or None when the event brings nothing new
        (a replayed or out-of-order fill): cumulative figures make fills idempotent. ``last``
        is the event's own (quantity, price), used as is when it is exactly the new part.
        """
        delta = filled - order.filled_quantity
        if delta <= 0:
            return None
        if delta == last[0]:
            price = last[1]
        else:  # an earlier fill event was missed: derive its price from the averages
            price = (avg_price * filled - order.avg_fill_price * order.filled_quantity) / delta
        order.filled_quantity, order.avg_fill_price = filled, avg_price
        return delta, price

    def open_orders(self, account: str) -> list[DecidedOrder]:
        """The account's working orders."""
        return list(self._open.get(account, {}).values())

    def deferred(self) -> Collection[tuple[str, DeferredSignal]]:
        """The signals that wait, with their accounts: the ``deferred`` orders' own (a live
        view)."""
        return self._deferred.values()

    def all(self) -> list[DecidedOrder]:
        """Every order risk knows of, working or not."""
        return list(self._orders.values())

    def accounts(self) -> set[str]:
        """Every account an order was ever seen for."""
        return {order.account for order in self._orders.values() if order.account}

    def note_approval(self, strategy_id: str, at: datetime) -> None:
        """Count an approval towards the strategy's order rate."""
        window = self._approvals.setdefault(strategy_id, deque())
        bisect.insort(window, at)  # kept sorted: a restore reads approvals out of time order
        while window and window[0] < window[-1] - self._horizon:
            window.popleft()

    def approvals_since(self, strategy_id: str, since: datetime, cap: int) -> int:
        """How many of the strategy's approvals happened after ``since``, counting up to ``cap``."""
        count = 0
        for at in reversed(self._approvals.get(strategy_id, ())):
            if at <= since or count == cap:
                break
            count += 1
        return count

    def __len__(self) -> int:
        return len(self._orders)
