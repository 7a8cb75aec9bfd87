"""When an order is too old to go out: the one rule the desk and both adapters apply.

An order's ``expires_at`` is when it must no longer reach the market. The router stops sending
``SEND_MARGIN`` before it, so the bytes have time to reach IBKR; and it decides at the last
moment it can (the pacer's slot on the socket, the rate limiter's turn on the Web API), not
only on arrival, because the write-ahead, the pacer and the limiter all take time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sluice_proto import ApprovedOrder

SEND_MARGIN = timedelta(milliseconds=100)
"""The time left for an order's bytes to reach IBKR (a proxied cloud hop is tens of ms)."""


def send_deadline(order: ApprovedOrder | None) -> datetime | None:
    """The last moment the order may leave the router; None when it carries no expiry."""
    if order is None or order.expires_at is None:
        return None
    return order.expires_at - SEND_MARGIN


def too_late(order: ApprovedOrder | None, now: datetime) -> bool:
    """True when ``now`` is at or past the order's send deadline: it must not be sent."""
    deadline = send_deadline(order)
    return deadline is not None and now >= deadline
