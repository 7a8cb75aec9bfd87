"""Runs the router's async callbacks one at a time, in the order ib_async raised the events.

ib_async calls plain functions; scheduling a task per event could reorder an order's
updates (a fill overtaking its acknowledgement). One queue, one worker keeps them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Relay:
    """A FIFO of callback invocations drained by one task."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def post(self, call: Callable[[], Awaitable[None]]) -> None:
        """Queue a callback invocation."""
        self._queue.put_nowait(call)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ibkr-relay")

    async def close(self) -> None:
        """Stop the worker; what is still queued is dropped (the next start reconciles)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            call = await self._queue.get()
            try:
                await call()
            except Exception:  # one failing callback must not stop the stream
                log.exception("router callback failed")
