"""Publishes IBKR's truth of each account the router trades: after every (re)connect and on
a period.

Risk compares the positions with its own book (a drift halts the account) and counts the open
orders placed outside Sluice toward exposure. The router only relays: what a difference means
is risk's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection

import msgspec

from sluice_order_router.ports import BrokerGateway, NotConnectedError
from sluice_order_router.publisher import Publisher
from sluice_proto.broker import BrokerTruthCause
from sluice_runtime.waking import woken

log = logging.getLogger(__name__)


class TruthReporter:
    """Every ``every_s`` seconds while the link is up, and at once after ``connected``."""

    def __init__(
        self,
        gateway: BrokerGateway,
        publish: Publisher,
        *,
        every_s: float,
        accounts: Callable[[], Collection[str]] | None = None,
    ) -> None:
        """``accounts``: the accounts to report (default: the gateway's account)."""
        self._gateway = gateway
        self._accounts = accounts or (lambda: (gateway.account,))
        self._publish = publish
        self._every_s = every_s
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Report on the period (the first once the link is up)."""
        self._task = asyncio.create_task(self._run(), name="broker-truth")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def connected(self) -> None:
        """The link came up and its reconcile ran: report now, not at the next period."""
        self._connected.set()

    async def _run(self) -> None:
        failing = False
        while True:
            await woken(self._connected, self._every_s)
            cause: BrokerTruthCause = "connect" if self._connected.is_set() else "periodic"
            self._connected.clear()
            if not self._gateway.connected:
                continue
            try:
                for account in sorted(self._accounts()):
                    truth = await self._gateway.truth(account)
                    await self._publish.truth(msgspec.structs.replace(truth, cause=cause))
            except NotConnectedError:
                continue  # the link dropped meanwhile: the next connect reports
            except Exception as exc:  # a bad answer or the bus: try again on the period
                if not failing:
                    log.warning("broker truth not published (%r); retrying", exc)
                failing = True
            else:
                if failing:
                    log.info("broker truth published again")
                failing = False
