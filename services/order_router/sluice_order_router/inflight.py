"""Orders whose write-ahead is durable and whose place (bytes, IBKR's answer) is under way.

The desk hands each such place to a task of its own, so the next order's write-ahead goes out
while this one waits in the pacer's queue and for IBKR's acknowledgement: a burst leaves at the
pacer's rate, not one Kafka round trip plus one IBKR round trip at a time.

Bounded: ``admit`` waits while ``limit`` places are under way, so a huge burst waits before its
write-ahead (the consumer stops taking records) instead of growing the pacer's queue without
limit. Anything that must see an order's outcome first waits for its place: a cancel or amend
of that order (``settled``), and a reconcile (``all_settled``; otherwise it would find an order
still in the pacer's queue absent at IBKR and send it twice).

A place that fails unexpectedly (the bus refusing its outcome) fails the next ``admit`` or
``all_settled`` with the same error: the consumer that called the desk dies and the service
restarts, as it did when the place ran inside the handler; the restart reconciles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

log = logging.getLogger(__name__)


class PlacesInFlight:
    """At most ``limit`` places under way, each findable by its orders' ``client_order_id``."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failure: BaseException | None = None

    async def admit(self) -> None:
        """Wait for room for one more place; ``start`` or ``withdraw`` must follow."""
        self._raise_failure()
        await self._slots.acquire()

    def withdraw(self) -> None:
        """Give back the room ``admit`` took (the place did not start)."""
        self._slots.release()

    def start(self, client_order_ids: Iterable[str], place: Coroutine[Any, Any, None]) -> None:
        """Run ``place`` (admitted before) as a task of its own, under the given orders."""
        task = asyncio.get_running_loop().create_task(place)
        ids = list(client_order_ids)
        for client_order_id in ids:
            self._tasks[client_order_id] = task

        def done(finished: asyncio.Task[None]) -> None:
            self._slots.release()
            for client_order_id in ids:
                if self._tasks.get(client_order_id) is finished:
                    del self._tasks[client_order_id]
            if not finished.cancelled() and finished.exception() is not None:
                self._failure = finished.exception()
                log.error("placing %s failed", ids, exc_info=self._failure)

        task.add_done_callback(done)

    async def settled(self, client_order_id: str) -> None:
        """Until the place of this order (if one is under way) is over."""
        task = self._tasks.get(client_order_id)
        if task is not None:
            await asyncio.wait([task])

    async def all_settled(self) -> None:
        """Until every place under way now is over."""
        tasks = set(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks)
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def close(self) -> None:
        """Stop every place under way (as a crash would: their write-aheads say submitting,
        so the next start reconciles them)."""
        tasks = set(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
