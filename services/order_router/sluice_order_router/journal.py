"""Rebuild the tracked orders from ``sluice.orders.events.v1`` before the router acts.

``Bus.replay`` reads the topic up to its end as of the start of the replay. Events of one
account share a partition and keep their order, and the router publishes its own events
durably (``acks=all``) before going on, so every event an earlier instance of this account's
router wrote is folded into them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sluice_bus import Bus
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_proto.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)


async def replay_journal(bus: Bus, accounts: Collection[str], orders: TrackedOrders) -> int:
    """Fold every earlier event of ``accounts`` into ``orders``; the number of events read."""
    seen = 0
    async for message in bus.replay([ORDERS_EVENTS]):
        if message.event.account in accounts:
            seen += 1
            orders.replay(message.event)
    log.info("journal replayed: %d events, %d pending orders", seen, len(orders.pending()))
    return seen
