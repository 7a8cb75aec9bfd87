"""Rebuild the tracked orders from ``sluice.orders.events.v1`` before the router acts.

``Bus.replay`` reads the topic up to its end as of the start of the replay. Events of one
account share a partition and keep their order, and the router publishes its own events
durably (``acks=all``) before going on, so every event an earlier instance of this account's
router wrote is folded into them. The login's order ids are one sequence for all its accounts,
so the high-water mark also counts the accounts the router served before (``ids_of``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sluice_bus import Bus
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_proto.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)


async def replay_journal(
    bus: Bus, accounts: Collection[str], orders: TrackedOrders, ids_of: Collection[str] = ()
) -> int:
    """Fold every earlier event of ``accounts`` into ``orders``; the highest order id sent
    for any of them or of ``ids_of`` (other accounts of the login: one id sequence)."""
    seen = 0
    others = TrackedOrders()
    async for message in bus.replay([ORDERS_EVENTS]):
        if message.event.account in accounts:
            seen += 1
            orders.replay(message.event)
        elif message.event.account in ids_of:
            others.replay(message.event)
    log.info("journal replayed: %d events, %d pending orders", seen, len(orders.pending()))
    return max(orders.high_water, others.high_water)
