"""Order ids that are never used twice, even when IBKR's id sequence rolls back.

On the socket path the client picks each order's id from a sequence IBKR seeds with
``nextValidId`` at every connect. After the gateway's daily restart that sequence can start
again low, below ids the router already sent (the trap of the Lean IB brokerage's issue 242):
an id reused names an order IBKR still holds (a modify) or a finished one (103), or confuses
the client library's own book. The journal's write-ahead records carry each id sent, so the
high-water mark survives a router restart; a ``nextValidId`` at or below it is overruled.

A ``nextValidId`` strictly below the mark also says IBKR started a new day: the finished
orders and executions of the days before are forgotten, so an order sent before it may be
absent from every list IBKR answers and still have reached the market (``forgotten_below``).
One equal to the mark is not a new day: the last order sent was lost on the way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class OrderIds:
    """The highest order id sent for one account, and where IBKR's memory starts."""

    high_water: int = 0
    forgotten_below: int | None = None
    """Orders sent with an id below this were sent before IBKR's day rolled over."""

    def sent(self, order_id: int) -> None:
        """An order (or its write-ahead record) carries ``order_id``."""
        self.high_water = max(self.high_water, order_id)

    def next_after(self, offered: int) -> int:
        """The next id to use when the client's sequence offers ``offered``."""
        return max(offered, self.high_water + 1)

    def connected(self, next_valid_id: int) -> int:
        """IBKR's ``nextValidId`` at a connect: the id the sequence must start from."""
        if next_valid_id < self.high_water:
            self.forgotten_below = self.high_water + 1
        return self.next_after(next_valid_id)
