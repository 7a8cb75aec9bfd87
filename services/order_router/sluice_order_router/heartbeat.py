"""The router's heartbeat: proof to the session-keeper that this process is alive.

The socket path reports only changes, so without a beat a router that died would leave its
last "connected" standing and risk would go on approving orders nobody sends. The keeper
halts the account (``ROUTER_SILENT``) when beats stop for longer than its bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sluice_order_router.ports import BrokerGateway
from sluice_order_router.publisher import Publisher
from sluice_proto.session import RouterHeartbeat

log = logging.getLogger(__name__)


class Heartbeat:
    """Publishes a ``RouterHeartbeat`` every ``every_s`` seconds until stopped."""

    def __init__(
        self,
        publish: Publisher,
        gateway: BrokerGateway,
        *,
        instance_id: str,
        held: Callable[[], int],
        every_s: float,
        renew: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``renew``: run with every beat (the router's account claims)."""
        self._publish = publish
        self._renew = renew
        self._gateway = gateway
        self._instance_id = instance_id
        self._held = held
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Beat at once, then every ``every_s``."""
        self._task = asyncio.create_task(self._run(), name="router-heartbeat")

    async def stop(self) -> None:
        """Stop beating (the keeper will notice within its bound, as for a crash)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self._publish.report(self._beat())
                if self._renew is not None:
                    await self._renew()
            except Exception as exc:  # the bus is down: beat again when it is back
                if not failing:
                    log.warning("router heartbeat not published (%s); retrying", exc)
                failing = True
            else:
                if failing:
                    log.info("router heartbeat published again")
                failing = False
            await asyncio.sleep(self._every_s)

    def _beat(self) -> RouterHeartbeat:
        return RouterHeartbeat(
            account=self._gateway.account,
            instance_id=self._instance_id,
            path=self._gateway.path,
            link_up=self._gateway.connected,
            held_orders=self._held(),
        )
