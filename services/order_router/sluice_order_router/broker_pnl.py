"""Relays the broker's own account PnL: when its figures change, at most once per gap.

IBKR pushes PnL often (the Web API's ``spl`` after every execution and price move, TWS's
``reqPnL`` about once a second) and often unchanged. People read it (``sluice pnl --broker``);
risk decides on its own book, so a figure a second late costs nothing and a flood costs the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import msgspec

from sluice_order_router.publisher import Publisher
from sluice_proto import BrokerPnl

log = logging.getLogger(__name__)


def _same(a: BrokerPnl, b: BrokerPnl) -> bool:
    return msgspec.structs.replace(a, ts=b.ts) == b


class PnlRelay:
    """Publishes a changed PnL at once, or at the end of the gap after the last one published
    for that account (then the latest figures: the last word is never lost)."""

    def __init__(
        self,
        publish: Publisher,
        *,
        gap_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish, self._gap_s, self._clock = publish, gap_s, clock
        self._sent: dict[str, tuple[float, BrokerPnl]] = {}
        """Per account: when the last PnL went out, and it."""
        self._pending: dict[str, BrokerPnl] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    async def __call__(self, pnl: BrokerPnl) -> None:
        """One PnL as the broker sent it."""
        account = pnl.account
        last = self._sent.get(account)
        if last is not None and _same(last[1], pnl):
            self._pending.pop(account, None)  # back to what was published: nothing to say
            return
        wait = 0.0 if last is None else last[0] + self._gap_s - self._clock()
        if wait <= 0 and account not in self._timers:
            await self._send(pnl)
            return
        self._pending[account] = pnl
        if account not in self._timers:
            self._timers[account] = asyncio.create_task(self._later(account, wait))

    async def close(self) -> None:
        """Drop what waits (the next connect brings fresh figures)."""
        for task in self._timers.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._timers.clear()

    async def _later(self, account: str, wait: float) -> None:
        await asyncio.sleep(wait)
        del self._timers[account]
        pnl = self._pending.pop(account, None)
        if pnl is not None:
            await self._send(pnl)

    async def _send(self, pnl: BrokerPnl) -> None:
        try:
            await self._publish.pnl(pnl)
        except Exception as exc:  # the bus: the broker's next figures try again
            log.warning("broker PnL of %s not published (%r)", pnl.account, exc)
            return
        self._sent[pnl.account] = (self._clock(), pnl)
