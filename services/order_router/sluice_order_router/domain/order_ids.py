"""Order ids that are never used twice, even when IBKR's id sequence rolls back.

On the socket path the client picks each order's id from a sequence IBKR seeds with
``nextValidId`` at every connect. After the gateway's daily restart that sequence can start
again low, below ids the router already sent (the trap of the Lean IB brokerage's issue 242):
an id reused names an order IBKR still holds (a modify) or a finished one (103), or confuses
the client library's own book. The journal's write-ahead records carry each id sent, so the
high-water mark survives a router restart; a ``nextValidId`` at or below it is overruled.

Each attempt also records IBKR's *floor* when it was sent: the lowest id IBKR would have
handed out then (``nextValidId`` at connect, raised past every id it acknowledged since). A
later ``nextValidId`` below an order's floor says IBKR started a new day since that order was
sent and forgot the day's finished orders and executions (``domain.reconcile``). Ids merely
sent prove nothing here: the last orders may have been lost on the way, and the client's
sequence also numbers its requests, which IBKR does not count.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderIdLease:
    """The id an order attempt is sent with, and IBKR's floor at that moment."""

    order_id: int
    ibkr_floor: int


@dataclass(slots=True)
class OrderIds:
    """The highest order id sent for one account, and IBKR's floor on this connection."""

    high_water: int = 0
    ibkr_floor: int = 0
    next_valid_id: int | None = None
    """IBKR's ``nextValidId`` at the latest connect (None before the first)."""

    def sent(self, order_id: int) -> None:
        """An order (or its write-ahead record) carries ``order_id``."""
        self.high_water = max(self.high_water, order_id)

    def acknowledged(self, order_id: int) -> None:
        """IBKR acknowledged an order with ``order_id``: its floor is past it."""
        self.ibkr_floor = max(self.ibkr_floor, order_id + 1)

    def connected(self, next_valid_id: int) -> int:
        """IBKR's ``nextValidId`` at a connect: the id the sequence must start from."""
        self.next_valid_id = self.ibkr_floor = next_valid_id
        return max(next_valid_id, self.high_water + 1)

    def lease(self, offered: int) -> OrderIdLease:
        """The id for the next attempt, when the client's sequence offers ``offered``."""
        order_id = max(offered, self.high_water + 1)
        self.sent(order_id)
        return OrderIdLease(order_id, self.ibkr_floor)
