"""The order events the client has seen, per watched order, in log order.

Pure bookkeeping on asyncio primitives (no I/O): the Kafka reader adds events, iterators of
``SluiceClient.lifecycle`` wait for the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from sluice_proto import SignalDuplicate
from sluice_proto.orders import final_status

Position = tuple[int, int]
"""Where an event sits in the log: (partition, offset)."""


class Lifecycles:
    """Events of the orders a client watches, keyed by ``client_order_id``."""

    def __init__(self) -> None:
        self._events: dict[str, dict[Position, Any]] = {}
        self._pending: set[str] = set()
        self._changed = asyncio.Condition()

    def watch(self, client_order_id: str) -> None:
        """Keep the events of this order from now on."""
        self._events.setdefault(client_order_id, {})

    def watching(self, client_order_id: str) -> bool:
        """True for an order whose events are kept."""
        return client_order_id in self._events

    def known(self, client_order_id: str) -> bool:
        """True once an event other than a duplicate notice has been seen for the order."""
        events = self._events.get(client_order_id, {})
        return any(not isinstance(e, SignalDuplicate) for e in events.values())

    def hold(self, client_order_id: str) -> None:
        """Iterators wait: earlier events of the order are being looked up."""
        self._pending.add(client_order_id)

    async def release(self, client_order_id: str) -> None:
        """The look-up is done; iterators go on."""
        self._pending.discard(client_order_id)
        async with self._changed:
            self._changed.notify_all()

    async def add(self, event: Any, position: Position) -> None:
        """Record an order event (ignored unless its order is watched; repeats are ignored)."""
        events = self._events.get(event.client_order_id)
        if events is None or position in events:
            return
        events[position] = event
        async with self._changed:
            self._changed.notify_all()

    async def follow(self, client_order_id: str) -> AsyncIterator[Any]:
        """The order's events in log order until its final one; duplicate notices are skipped
        (a retried publish of an order already in flight)."""
        self.watch(client_order_id)
        seen: set[Position] = set()
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: self._fresh(client_order_id, seen))
            for position, event in sorted(self._events[client_order_id].items()):
                if position in seen:
                    continue
                seen.add(position)
                if isinstance(event, SignalDuplicate):
                    continue
                yield event
                if final_status(event) is not None:
                    return

    def _fresh(self, client_order_id: str, seen: set[Position]) -> bool:
        if client_order_id in self._pending:
            return False
        return any(position not in seen for position in self._events[client_order_id])
