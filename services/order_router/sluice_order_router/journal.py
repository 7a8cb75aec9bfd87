"""Rebuild the tracked orders from ``sluice.orders.events.v1`` before the router acts.

A fresh consumer group reads the topic from the beginning; the router then publishes a
``RouterStarted`` mark keyed by its account. Events of one account share a partition and
keep their order, so when the mark comes back every earlier event of the account has been
folded into them.
"""

from __future__ import annotations

import asyncio
import logging

from sluice_bus import Bus, ConsumerOptions, Message
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_proto.orders import OrderEvent, RouterStarted
from sluice_proto.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)


async def replay_journal(
    bus: Bus, account: str, instance_id: str, orders: TrackedOrders, timeout_s: float = 60.0
) -> int:
    """Fold every earlier event of ``account`` into ``book``; the number of events read."""
    reached = asyncio.Event()
    seen = 0

    async def fold(message: Message[OrderEvent]) -> None:
        nonlocal seen
        event = message.event
        if isinstance(event, RouterStarted):
            if event.instance_id == instance_id:
                reached.set()
        elif event.account == account:
            seen += 1
            orders.replay(event)

    consumer = await bus.consume(
        [ORDERS_EVENTS],
        group=f"order-router.journal.{instance_id}",
        handler=fold,
        options=ConsumerOptions(from_beginning=True),
    )
    try:
        await bus.publish(
            ORDERS_EVENTS, RouterStarted(account=account, instance_id=instance_id), key=account
        )
        await asyncio.wait_for(reached.wait(), timeout_s)
    finally:
        await consumer.abort()
    log.info("journal replayed: %d events, %d pending orders", seen, len(orders.pending()))
    return seen
