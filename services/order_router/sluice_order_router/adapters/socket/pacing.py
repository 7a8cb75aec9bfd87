"""One schedule in front of every message the socket sends to IBKR.

IBKR disconnects clients that exceed about 50 messages per second (error 100). Messages are
queued in order and released at the configured rate; a burst waits in the queue instead of
being written into a pacing violation. The slots come from ``domain.send_pacing``: evenly
spaced, and never more than ``rate`` messages in any one-second window of send times, so the
gap to IBKR's 50 is left for jitter on the way (no burst allowance). Hand-written rather than
``aiolimiter``: a leaky bucket lets ``capacity + rate`` messages out in one second, and spaced
from the last (late) wake-up it loses rate to timer lateness.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from datetime import datetime

from sluice_order_router.domain.send_pacing import SendSchedule
from sluice_order_router.ports import PacingStats
from sluice_proto import utc_now


class SendGuard:
    """The messages of one order (a bracket's legs too): they go only if the first reaches
    its slot before ``deadline`` (wall clock). Decided once, at that slot; ``decided`` then
    holds whether they went."""

    def __init__(self, deadline: datetime) -> None:
        self.deadline = deadline
        self.decided: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def admits(self) -> bool:
        """Whether this message goes (the first one decides for all)."""
        if not self.decided.done():
            self.decided.set_result(utc_now() < self.deadline)
        return self.decided.result()


class Pacer:
    """FIFO of pending sends drained at ``rate`` per second (``SendSchedule``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._schedule = SendSchedule(rate)
        self._queue: deque[tuple[int, float, Callable[[], None], SendGuard | None]] = deque()
        self._generation = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.pacing = PacingStats()

    @property
    def queued(self) -> int:
        """Messages waiting for a token."""
        return len(self._queue)

    def submit(self, send: Callable[[], None], guard: SendGuard | None = None) -> None:
        """Queue one send; it runs at its slot (in submission order), unless ``guard`` says
        then that it is too late (the slot goes to the next)."""
        self._queue.append((self._generation, asyncio.get_running_loop().time(), send, guard))
        self.pacing.waiting = len(self._queue)
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="ibkr-pacer")

    def clear(self) -> None:
        """Drop what is queued: the connection it was meant for is gone."""
        self._generation += 1
        self._queue.clear()
        self.pacing.waiting = 0

    async def close(self) -> None:
        """Stop draining (queued messages are dropped)."""
        self.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        slot: float | None = None  # reserved, not yet used
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if slot is None:
                slot = self._schedule.reserve(loop.time(), self._queue[0][1])
            delay = slot - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self._queue:  # cleared while waiting: the slot is kept for the next one
                continue
            generation, queued_at, send, guard = self._queue.popleft()
            self.pacing.waiting = len(self._queue)
            if generation == self._generation and (guard is None or guard.admits()):
                send()
                self._schedule.sent(loop.time())
                slot = None
                self.sent += 1
                self.pacing.waited(loop.time() - queued_at)
