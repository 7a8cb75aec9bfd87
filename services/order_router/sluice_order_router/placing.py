"""The desk's lock, and the orders it lets go to IBKR without holding it.

An order's write-ahead record is published under the lock; then its ``place`` (the bytes
queued on the paced socket, IBKR's acknowledgement awaited, the outcome published) runs as a
task of its own, so the next approved order's write-ahead goes out while the one before waits
for its pacing token and its acknowledgement: orders leave at the pacer's rate, not one Kafka
round trip plus one IBKR round trip at a time. The tasks start in the order they were made,
so orders reach the pacer's FIFO in order.

Whoever takes the lock with ``async with`` (reconcile, cancels, an order expiring while held)
also waits until every order in flight has its outcome: a reconcile never looks for an order
whose bytes may still be on their way, so it never sends one twice, and a cancel finds the
order IBKR has been sent. Only the desk's own sending path takes it with ``sending()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Literal


class DeskLock(asyncio.Lock):
    """An ``asyncio.Lock`` whose plain acquisition also waits for the orders being placed."""

    def __init__(self) -> None:
        super().__init__()
        self._placing: set[asyncio.Task[None]] = set()

    async def acquire(self) -> Literal[True]:
        await super().acquire()
        try:
            await self.settled()
        except BaseException:
            self.release()
            raise
        return True

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Hold the lock without waiting for the orders in flight (the desk's sending path)."""
        await super().acquire()
        try:
            yield
        finally:
            self.release()

    def place(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run one order's placing as a task of its own (the caller holds the lock)."""
        task = asyncio.get_running_loop().create_task(coroutine, name="ibkr-place")
        self._placing.add(task)
        task.add_done_callback(self._placing.discard)

    async def settled(self) -> None:
        """Until every order in flight has its outcome (their own errors are theirs)."""
        while self._placing:
            await asyncio.wait(set(self._placing))
