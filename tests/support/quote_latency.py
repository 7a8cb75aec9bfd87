"""Quote latency on a bus: from a venue's price move to the quote on ``sluice.md.quotes.v1``.

A router (either path) and the market-data service run on the bus; ``QuoteWatch`` reads the
quotes, and ``latencies`` moves the venue's price and times each move until a quote carrying
its bid comes back. Shared by the REST Kafka test and ``python -m bench quotes``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sluice_bus import Bus, Message
from sluice_market_data.bootstrap import build
from sluice_market_data.config import MarketDataSettings
from sluice_market_data.service import MarketData
from sluice_proto import Instrument
from sluice_proto.market_data import MdSubscribe, Quote
from sluice_proto.topics import MD_QUOTES, MD_SUBSCRIPTIONS
from tests.support.polling import eventually

CENT = Decimal("0.01")
CONFLATION_S = MarketDataSettings().min_interval.total_seconds() + 0.02
"""Market-data's conflation interval (plus a flush): moves further apart are never held."""
AAPL = Instrument(symbol="AAPL")


class QuoteWatch:
    """When each bid of one instrument first came back on ``sluice.md.quotes.v1``."""

    def __init__(self, instrument: Instrument = AAPL) -> None:
        self.key = instrument.key
        self.arrived: dict[Decimal, float] = {}
        """bid → ``time.perf_counter()`` at arrival."""
        self._since = datetime.now(UTC)

    async def start(self, bus: Bus) -> QuoteWatch:
        await bus.consume([MD_QUOTES], group=f"probe-{uuid.uuid4().hex[:8]}", handler=self._on)
        return self

    async def _on(self, message: Message[Any]) -> None:
        quote = message.event
        if (
            isinstance(quote, Quote)
            and quote.instrument.key == self.key
            and quote.ts > self._since  # quotes of earlier runs on a shared topic are older
            and quote.bid is not None
        ):
            self.arrived.setdefault(quote.bid, time.perf_counter())


async def start_market_data(bus: Bus) -> MarketData:
    """The market-data service with its default settings, on ``bus`` (started)."""
    service = build(MarketDataSettings(), bus).component
    await service.start()
    return service


async def subscribe(bus: Bus, instrument: Instrument = AAPL) -> None:
    event = MdSubscribe(subscriber_id=f"latency-{uuid.uuid4().hex[:6]}", instrument=instrument)
    await bus.publish(MD_SUBSCRIPTIONS, event, key=instrument.key)


async def latencies(
    watch: QuoteWatch,
    move: Callable[[Decimal], object],
    mids: Iterable[Decimal],
    gap_s: float = CONFLATION_S,
) -> list[float]:
    """Seconds from each ``move(mid)`` until its bid (a cent below mid) came back as a quote.
    Moves are ``gap_s`` apart, past market-data's conflation interval, so no quote is held back
    by the one before it: the figure is the path's, not the conflation's."""
    seconds: list[float] = []
    for mid in mids:
        await asyncio.sleep(gap_s)
        bid = mid - CENT
        started = time.perf_counter()
        move(mid)
        await eventually(lambda b=bid: b in watch.arrived, what=f"a quote with bid {bid}")  # type: ignore[misc]
        seconds.append(watch.arrived[bid] - started)
    return seconds


async def warm_up(
    watch: QuoteWatch, move: Callable[[Decimal], object], mids: list[Decimal]
) -> None:
    """Move the price until quotes come back: every consumer on the way is reading."""
    for mid in mids:
        move(mid)
        try:
            await eventually(lambda: bool(watch.arrived), within=0.5)
        except AssertionError:
            continue
        return
    raise AssertionError("no quote came back on sluice.md.quotes.v1")


def fresh_mids(count: int, start: Decimal = Decimal(150)) -> list[Decimal]:
    """``count`` distinct whole-cent prices, none a bid of another."""
    return [start + Decimal(i) * Decimal("0.37") for i in range(count)]
