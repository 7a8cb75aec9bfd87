"""Orders whose outcome is unknown while the link stays up: reconcile again, with backoff.

A ``place`` that times out (no acknowledgement within ``IBKR_ACK_TIMEOUT_S``) or fails on
the way (REST 429/5xx) may or may not have reached IBKR. A reconnect would reconcile it, but
the link may never drop; so each such order gets its own retry loop that runs the reconcile
(found: adopt; absent: send once) until the order is no longer in doubt. The delay grows
exponentially up to a cap, so a gateway that keeps timing out is not hammered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sluice_order_router.domain.backoff import JitteredBackoff

log = logging.getLogger(__name__)

Settle = Callable[[str], Awaitable[bool]]


class DoubtRetry:
    """One background loop per order in doubt; ``settle(client_order_id)`` says when it ends."""

    def __init__(self, settle: Settle, backoff: JitteredBackoff) -> None:
        self._settle = settle
        self._backoff = backoff
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def schedule(self, client_order_id: str) -> None:
        """Start resolving an order (a no-op while its loop is already running)."""
        if client_order_id not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._run(client_order_id))
            self._tasks[client_order_id] = task

    async def close(self) -> None:
        """Stop every loop (the next start's reconcile takes over)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, client_order_id: str) -> None:
        attempt = 0
        try:
            while True:
                attempt += 1
                # no jitter: one router, one order; the ceiling also gives IBKR time to answer
                await asyncio.sleep(self._backoff.ceiling(attempt))
                try:
                    if await self._settle(client_order_id):
                        return
                except Exception:
                    log.exception("resolving order %s in doubt failed; retrying", client_order_id)
        finally:
            self._tasks.pop(client_order_id, None)
