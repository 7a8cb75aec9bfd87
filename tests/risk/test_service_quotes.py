"""Risk releases its market-data subscriptions on the in-memory bus: after the idle period,
never while a working order needs the quote, and those made before a restart."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_proto import (
    ApprovedOrder,
    Instrument,
    MdSubscribe,
    MdUnsubscribe,
    OrderCancelled,
    OrderRejected,
    Quote,
    utc_now,
)
from sluice_proto.topics import MD_QUOTES, MD_SUBSCRIPTIONS, ORDERS_APPROVED, ORDERS_EVENTS, SIGNALS
from sluice_risk.service import RiskService
from tests.risk.factories import ACCOUNT, signal
from tests.risk.service_support import started
from tests.support.collect import topic_events
from tests.support.polling import eventually

MSFT = Instrument(symbol="MSFT")


class FakeClock:
    """Now is real time plus whatever the test skipped ahead."""

    def __init__(self) -> None:
        self.skipped = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.skipped


def unsubscribes(broker: MemoryBroker) -> list[MdUnsubscribe]:
    return [e for e in topic_events(broker, MD_SUBSCRIPTIONS) if isinstance(e, MdUnsubscribe)]


def subscribes(broker: MemoryBroker) -> list[MdSubscribe]:
    return [e for e in topic_events(broker, MD_SUBSCRIPTIONS) if isinstance(e, MdSubscribe)]


async def msft_signal(
    broker: MemoryBroker, risk: RiskService, signal_id: str, quantity: int = 10
) -> None:
    """A signal on MSFT, which has no quote yet: risk subscribes, then the quote comes."""
    new = signal(signal_id, symbol="MSFT", quantity=Decimal(quantity), created_at=risk.clock())
    await risk.bus.publish(SIGNALS, new, key="strat")
    await eventually(lambda: len(subscribes(broker)) == 1)
    quote = Quote(instrument=MSFT, bid=Decimal("99.9"), ask=Decimal("100"), ts=risk.clock())
    await risk.bus.publish(MD_QUOTES, quote, key=MSFT.key)


async def test_the_quote_is_kept_while_an_order_works_and_released_once_idle(
    broker: MemoryBroker,
) -> None:
    clock = FakeClock()
    risk = await started(broker, clock, SLUICE_RISK_QUOTE_IDLE_S="300")
    try:
        await msft_signal(broker, risk, "m")
        await eventually(lambda: len(topic_events(broker, ORDERS_APPROVED)) == 1)
        [approved] = topic_events(broker, ORDERS_APPROVED)
        assert isinstance(approved, ApprovedOrder)
        clock.skipped = timedelta(seconds=1000)
        await asyncio.sleep(0.2)  # some twenty sweeps: the working order keeps the line
        assert unsubscribes(broker) == []
        cancelled = OrderCancelled(client_order_id=approved.client_order_id, account=ACCOUNT)
        await risk.bus.publish(ORDERS_EVENTS, cancelled, key=ACCOUNT)
        await eventually(lambda: not risk.state.orders.open_orders(ACCOUNT))
        await asyncio.sleep(0.05)
        assert unsubscribes(broker) == []  # idle only since the cancel
        clock.skipped = timedelta(seconds=1300)
        await eventually(lambda: len(unsubscribes(broker)) == 1)
        [released] = unsubscribes(broker)
        assert (released.subscriber_id, released.instrument.symbol) == ("risk", "MSFT")
    finally:
        await risk.stop()


async def test_a_restart_releases_what_risk_subscribed_before_and_no_longer_needs(
    broker: MemoryBroker,
) -> None:
    risk = await started(broker, FakeClock())
    try:
        await msft_signal(broker, risk, "big", quantity=10**6)
        await eventually(lambda: len(topic_events(broker, ORDERS_EVENTS)) == 1)
        assert isinstance(topic_events(broker, ORDERS_EVENTS)[0], OrderRejected)
    finally:
        await risk.stop()
    assert unsubscribes(broker) == []  # well within the idle period
    again = await started(broker, FakeClock())
    try:
        await eventually(lambda: len(unsubscribes(broker)) == 1)
        [released] = unsubscribes(broker)
        assert (released.subscriber_id, released.instrument.symbol) == ("risk", "MSFT")
    finally:
        await again.stop()
