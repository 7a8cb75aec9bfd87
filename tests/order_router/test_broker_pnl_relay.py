"""The router's PnL relay: a changed PnL goes out at once, then at most once per gap per
account (the latest figures at the gap's end); unchanged figures never."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.broker_pnl import PnlRelay
from sluice_order_router.publisher import Publisher
from sluice_proto import BrokerPnl
from sluice_proto.topics import BROKER_TRUTH
from tests.support.collect import topic_events
from tests.support.polling import eventually


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def pnl(account: str, daily: str) -> BrokerPnl:
    return BrokerPnl(account=account, daily_pnl=Decimal(daily))


def published(broker: MemoryBroker, account: str = "DU1") -> list[Decimal | None]:
    """The daily PnL published for ``account``, in order (one key: one partition)."""
    return [e.daily_pnl for e in topic_events(broker, BROKER_TRUTH) if e.account == account]


async def test_changes_at_once_then_the_latest_at_the_gaps_end_per_account() -> None:
    broker, clock = MemoryBroker(), Clock()
    bus = MemoryBus(broker, "order-router")
    await bus.start()
    relay = PnlRelay(Publisher(bus, "DU1"), gap_s=0.05, clock=clock)
    try:
        await relay(pnl("DU1", "1"))
        await relay(pnl("DU1", "1"))  # unchanged: nothing
        await relay(pnl("DU2", "7"))  # another account has its own gap
        assert (published(broker), published(broker, "DU2")) == ([Decimal(1)], [Decimal(7)])
        await relay(pnl("DU1", "2"))  # inside the gap: waits
        await relay(pnl("DU1", "3"))  # replaces what waits
        assert published(broker) == [Decimal(1)]
        clock.now = 1.0
        await eventually(lambda: len(published(broker)) == 2, what="the gap's end")
        assert published(broker) == [Decimal(1), Decimal(3)]
        await relay(pnl("DU1", "4"))  # the gap is still running (the clock stands)
        await relay(pnl("DU1", "3"))  # back to what went out: nothing to say
        await asyncio.sleep(0.1)
        assert published(broker) == [Decimal(1), Decimal(3)]
        keys = {r.key for r in broker.records(BROKER_TRUTH)}
        assert keys == {b"DU1/pnl", b"DU2/pnl"}  # never the truth's key: compaction keeps both
    finally:
        await relay.close()
        await bus.stop()
