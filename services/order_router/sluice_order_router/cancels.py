"""Cancels: always carried out or answered, never dropped.

A cancel for an order still held is done on the spot (it never left); one that arrives while
the link is down is remembered on the order and carried out after the next reconcile.

``CancelAll`` (the kill switch) cancels the router's own open orders one by one, then, with
the kill scope ``all`` (the default), every open order of the account at IBKR, whoever placed
it: an earlier client id, another system, a hand in TWS. That sweep is reported as one
``CancelAllSwept``; asked while the link is down, it is remembered like any other cancel.

A cancel of an order whose place is under way (``PlacesInFlight``) waits for that place to be
over, and ``CancelAll`` for every place under way: the cancel then acts on the outcome.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import TrackedOrder
from sluice_order_router.inflight import PlacesInFlight
from sluice_order_router.ports import BrokerGateway, BrokerRejectedError, NotConnectedError
from sluice_order_router.publisher import Publisher
from sluice_proto import CancelAll, CancelOrder
from sluice_proto.orders import CancelAllSwept, CancelRejected

log = logging.getLogger(__name__)

KillScope = Literal["all", "own"]
"""What ``CancelAll`` cancels: every open order of the account at IBKR, or the router's own."""


class Canceller:
    """Carries out ``CancelOrder`` / ``CancelAll`` for one account."""

    def __init__(
        self,
        gateway: BrokerGateway,
        publisher: Publisher,
        orders: TrackedOrders,
        lock: asyncio.Lock,
        placing: PlacesInFlight,
        *,
        scope: KillScope = "all",
    ) -> None:
        self._gateway = gateway
        self._publish = publisher
        self._orders = orders
        self._lock = lock
        self._placing = placing
        self._scope = scope
        self._sweeps: dict[str, str] = {}  # account -> the reason of a sweep not yet carried out

    async def handle(self, command: CancelOrder | CancelAll) -> None:
        """Cancel one order, or every open order of the account."""
        async with self._lock:
            if isinstance(command, CancelAll):
                await self._placing.all_settled()
                reason = command.reason or "cancel all"
                for record in self._orders.open():
                    if record.account == command.account:
                        await self.cancel(record, reason)
                if self._scope == "all":
                    self._sweeps[command.account] = reason
                    await self._sweep_broker()
                return
            await self._placing.settled(command.client_order_id)
            found = self._orders.get(command.client_order_id)
            if found is not None and not found.terminal:
                await self.cancel(found, command.reason)
                return
            why = "unknown client_order_id" if found is None else f"order is {found.state}"
            rejected = CancelRejected(
                client_order_id=command.client_order_id, account=command.account, text=why
            )
            await self._publish.orders([rejected])

    async def cancel(self, record: TrackedOrder, reason: str) -> None:
        """Cancel now if possible, else remember it for after the next reconcile.

        The caller holds the desk's lock.
        """
        if record.state == "held":
            await self._publish.orders(record.cancelled(reason or "cancelled while held"))
            return
        record.cancel_requested = True
        if not self._gateway.connected:
            return
        try:
            await self._gateway.cancel(record.client_order_id)
        except NotConnectedError:
            return
        except BrokerRejectedError as exc:
            rejected = CancelRejected(**record.ids(), code=exc.code, text=exc.text)
            await self._publish.orders([rejected])
        record.cancel_requested = False

    async def retry(self) -> None:
        """Carry out cancels that arrived while the link was down (caller holds the lock)."""
        for record in self._orders.open():
            if record.cancel_requested and record.state != "held":
                await self.cancel(record, "cancel requested while disconnected")
        await self._sweep_broker()

    async def _sweep_broker(self) -> None:
        """Cancel every open order of each account due a sweep at IBKR, if the link is up."""
        for account, reason in list(self._sweeps.items()):
            if not self._gateway.connected:
                return
            try:
                swept = await self._gateway.cancel_all(account)
            except (NotConnectedError, BrokerRejectedError) as exc:
                log.warning("cancel of every open order of %s not done (%s): after reconcile",
                            account, exc)  # fmt: skip
                return
            del self._sweeps[account]
            report = CancelAllSwept(account=account, reason=reason, orders=swept)
            await self._publish.orders([report])
