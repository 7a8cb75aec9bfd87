"""Conflated quotes: the latest tick fields per instrument, published at a bounded rate.

A tick updates the instrument's quote at once (``on_tick``); ``due`` publishes it when at least
``min_interval`` has passed since the instrument's last publication, so the first tick goes out
at the next ``due`` call, a burst of ticks costs one quote per interval, and the latest value
is never lost. A quote with no tick for ``stale_after`` is published
once more with ``stale=True``; the next tick makes it fresh again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sluice_proto.common import Instrument
from sluice_proto.market_data import MdTick, Quote

PRICE_FIELDS = ("bid", "ask", "last", "bid_size", "ask_size", "last_size")


@dataclass(slots=True)
class _Entry:
    instrument: Instrument
    ticked_at: datetime
    source_ts: datetime
    prices: dict[str, Decimal] = field(default_factory=dict)
    published_at: datetime | None = None
    dirty: bool = True
    stale: bool = False


class QuoteBook:
    """The latest quote of every streaming instrument."""

    def __init__(self, min_interval: timedelta, stale_after: timedelta) -> None:
        self.min_interval = min_interval
        self.stale_after = stale_after
        self._entries: dict[str, _Entry] = {}

    def on_tick(self, tick: MdTick, now: datetime) -> None:
        """Merge a tick's prices into the instrument's quote."""
        key = tick.instrument.key
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(tick.instrument, now, tick.ts)
        for name in PRICE_FIELDS:
            value = getattr(tick, name)
            if value is not None:
                entry.prices[name] = value
        entry.ticked_at, entry.source_ts = now, tick.ts
        entry.dirty, entry.stale = True, False

    def due(self, now: datetime) -> list[Quote]:
        """Updated quotes whose interval is over, and quotes that just went stale."""
        quotes = []
        for entry in self._entries.values():
            if not entry.stale and now - entry.ticked_at > self.stale_after:
                entry.stale = entry.dirty = True
                quotes.append(self._publish(entry, now))
            elif entry.dirty and self._may_publish(entry, now):
                quotes.append(self._publish(entry, now))
        return quotes

    def forget(self, key: str) -> None:
        """Drop an instrument no longer streamed."""
        self._entries.pop(key, None)

    def quotes(self) -> list[Quote]:
        """The current quote of every instrument."""
        return [
            self._quote(entry, entry.published_at or entry.ticked_at)
            for entry in self._entries.values()
        ]

    def _may_publish(self, entry: _Entry, now: datetime) -> bool:
        return entry.published_at is None or now - entry.published_at >= self.min_interval

    def _publish(self, entry: _Entry, now: datetime) -> Quote:
        entry.published_at, entry.dirty = now, False
        return self._quote(entry, now)

    @staticmethod
    def _quote(entry: _Entry, ts: datetime) -> Quote:
        return Quote(
            instrument=entry.instrument,
            stale=entry.stale,
            source_ts=entry.source_ts,
            ts=ts,
            **entry.prices,
        )
