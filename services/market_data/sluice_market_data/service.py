"""The market-data component: subscriptions in, router requests out; ticks in, quotes out.

Subscriptions are read from the start of ``sluice.md.subscriptions.v1`` in a group of this
process alone, so a restart rebuilds every reference count (re-sending ``MdStart`` for lines
still wanted, which the router treats as idempotent). Ticks are read from the latest offset:
old prices are worthless. One task publishes every quote, so quotes of an instrument leave
in the order they were built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sluice_bus.api import Bus, Consumer, ConsumerOptions, HandlerResult, Message, Outgoing
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry, end_subscription
from sluice_market_data.history import HistoryService
from sluice_proto.common import utc_now
from sluice_proto.market_data import MdStart, MdStop, MdSubscribe, MdSubscriptionRejected, MdTick
from sluice_proto.topics import MD_QUOTES, MD_REQUESTS, MD_SUBSCRIPTIONS, MD_TICKS
from sluice_runtime.waking import woken

log = logging.getLogger(__name__)

RegistryEvent = MdStart | MdStop | MdSubscriptionRejected


def _outgoing(events: Iterable[RegistryEvent]) -> list[Outgoing]:
    return [
        Outgoing(
            MD_QUOTES if isinstance(e, MdSubscriptionRejected) else MD_REQUESTS, e, e.instrument.key
        )
        for e in events
    ]


class MarketData:
    """Reference-counted subscriptions within the line budget; conflated, stale-flagged quotes."""

    name = "market-data"

    def __init__(
        self,
        bus: Bus,
        registry: SubscriptionRegistry,
        book: QuoteBook,
        *,
        flush_s: float = 0.02,
        clock: Callable[[], datetime] = utc_now,
        history: HistoryService | None = None,
    ) -> None:
        """``history``: serves historical bars (``GET /history``) when given."""
        self.bus = bus
        self.history = history
        self.registry = registry
        self.book = book
        self.clock = clock
        self._flush_s = flush_s
        self._group = f"market-data.{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._consumers: list[Consumer] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join both groups and start the quote publisher."""
        self._consumers = [
            await self.bus.consume(
                [MD_SUBSCRIPTIONS],
                group=self._group,
                handler=self._on_subscription,
                options=ConsumerOptions(from_beginning=True),
            ),
            await self.bus.consume(
                [MD_TICKS],
                group=f"{self._group}.ticks",
                handler=self._on_tick,
                options=ConsumerOptions(from_beginning=False),
            ),
        ]
        if self.history is not None:
            await self.history.start()
        self._task = asyncio.create_task(self._publish_quotes(), name="market-data-quotes")

    async def stop(self) -> None:
        """Stop publishing, then leave both groups."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.history is not None:
            await self.history.stop()
        for consumer in self._consumers:
            await consumer.stop()

    def readiness(self) -> tuple[bool, str]:
        """Always ready once started; says how full the line budget is."""
        return True, f"{self.registry.lines_in_use} of {self.registry.line_budget} lines in use"

    async def _on_subscription(self, message: Message[Any]) -> HandlerResult:
        event, now = message.event, self.clock()
        if isinstance(event, MdSubscribe):
            return _outgoing(self.registry.subscribe(event.subscriber_id, event.instrument, now))
        stops = self.registry.unsubscribe(event.subscriber_id, event.instrument, now)
        for stop in stops:
            self.book.forget(stop.instrument.key)
        return _outgoing(stops)

    async def _on_tick(self, message: Message[Any]) -> HandlerResult:
        tick: MdTick = message.event
        key = tick.instrument.key
        if not self.registry.is_active(key):  # in flight after an MdStop
            return None
        ended = end_subscription(self.registry, tick, self.clock())
        if ended:
            self.book.forget(key)
            return _outgoing(ended)
        if tick.error_text is not None:
            log.info("broker notice on %s: %s", key, tick.error_text)
        self.book.on_tick(tick, self.clock())
        self._wake.set()
        return None

    async def _publish_quotes(self) -> None:
        while True:
            await woken(self._wake, self._flush_s)
            self._wake.clear()
            for quote in self.book.due(self.clock()):
                try:
                    await self.bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
                except Exception:  # the bus is down: the next tick brings a newer quote
                    log.exception("publishing the quote of %s failed", quote.instrument.key)
