"""Drop ib_async's per-order INFO lines (below DEBUG): the order events on Kafka say the same.

ib_async writes an INFO line for every order status, fill, commission, position and portfolio
update: about nine lines of a few kB each per order on the simulator, each formatted as JSON by
the service's log handler (≈50 µs apiece on the 2-core box, ``python -m bench hotpath``), on
the router's event loop between an order's bytes and the next order. The router publishes each
of these facts as an order event, and ib_async's connection lines, notices and errors are kept.
With the log level at DEBUG the lines pass, for whoever debugs ib_async itself.
"""

from __future__ import annotations

import logging

CHATTY_LOGGERS = ("ib_async.wrapper", "ib_async.ib")
PER_ORDER = (
    "orderStatus:",
    "openOrder:",
    "execDetails",
    "commissionReport:",
    "position:",
    "updatePortfolio:",
    "placeOrder:",
    "cancelOrder:",
)
"""How ib_async (2.x) begins its per-order INFO lines."""


class PerOrderChatter(logging.Filter):
    """Refuses ib_async's per-order INFO records unless the root logger is at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        return not (isinstance(record.msg, str) and record.msg.startswith(PER_ORDER))


_FILTER = PerOrderChatter()


def quiet_per_order_lines() -> None:
    """Install the filter on ib_async's loggers (idempotent)."""
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
