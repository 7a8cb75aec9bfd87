"""Where the router's events go: one place that knows topics and keys."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

import msgspec

from sluice_bus import Bus
from sluice_proto import BrokerPnl, BrokerTruth
from sluice_proto.broker import broker_pnl_key
from sluice_proto.history import HistoryReply
from sluice_proto.market_data import MdTick
from sluice_proto.orders import OrderEvent
from sluice_proto.session import SessionReport
from sluice_proto.topics import (
    BROKER_TRUTH,
    MD_HISTORY_REPLIES,
    MD_TICKS,
    ORDERS_EVENTS,
    SESSION_REPORTS,
)


class Publisher:
    """Publishes lifecycle events (keyed by account), session reports and ticks."""

    def __init__(
        self,
        bus: Bus,
        account: str,
        on_order: Callable[[OrderEvent], None] | None = None,
        accounts: Callable[[], Collection[str]] | None = None,
    ) -> None:
        """``on_order`` sees each lifecycle event once it is durable (the metrics);
        ``accounts``: the accounts a session report speaks for (default: ``account``)."""
        self._bus = bus
        self._account = account
        self._on_order = on_order
        self._accounts = accounts

    async def orders(self, events: Iterable[OrderEvent]) -> None:
        """Publish lifecycle events in order, each durable before the next."""
        for event in events:
            await self._bus.publish(ORDERS_EVENTS, event, key=event.account or self._account)
            if self._on_order is not None:
                self._on_order(event)

    async def report(self, report: SessionReport) -> None:
        """A connection / session report for the session-keeper, once per account served:
        the login's link is every one of its accounts' link."""
        accounts = self._accounts() if self._accounts is not None else (self._account,)
        for account in sorted(accounts):
            each = msgspec.structs.replace(report, account=account)
            await self._bus.publish(SESSION_REPORTS, each, key=account)

    async def truth(self, truth: BrokerTruth) -> None:
        """What IBKR holds for the account (positions, every open order, summary)."""
        await self._bus.publish(BROKER_TRUTH, truth, key=truth.account or self._account)

    async def pnl(self, pnl: BrokerPnl) -> None:
        """The broker's PnL of an account, beside its truth (compaction keeps both)."""
        await self._bus.publish(BROKER_TRUTH, pnl, key=broker_pnl_key(pnl.account))

    async def tick(self, tick: MdTick) -> None:
        """A raw tick for market-data."""
        await self._bus.publish(MD_TICKS, tick, key=tick.instrument.key)

    async def history(self, reply: HistoryReply) -> None:
        """Bars or a refusal for market-data, keyed by the request id."""
        await self._bus.publish(MD_HISTORY_REPLIES, reply, key=reply.request_id)
