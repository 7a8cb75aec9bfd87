"""A deterministic, seeded quote stream: a tick-aligned random walk per instrument."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from .instruments import Instrument, Universe


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book plus the last trade for one instrument."""

    con_id: int
    bid: Decimal
    ask: Decimal
    last: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last_size: Decimal
    volume: Decimal
    seq: int = 0


QuoteListener = Callable[[Quote], None]

_SIZES = (100, 200, 300, 500, 800, 1000)


class QuoteBook:
    """Holds the current quote of every instrument and advances them on :meth:`step`.

    Prices move in whole ticks, so every quote is valid for the instrument's minimum tick;
    the same seed always yields the same sequence.
    """

    def __init__(self, universe: Universe, seed: int) -> None:
        self._rng = random.Random(seed)
        self._instruments = dict(universe.instruments)
        self._mid_ticks = {
            cid: int(inst.price / inst.min_tick) for cid, inst in self._instruments.items()
        }
        self._quotes: dict[int, Quote] = {}
        for cid, inst in self._instruments.items():
            self._quotes[cid] = self._make(inst, 0)
        self._listeners: list[QuoteListener] = []
        self.still = False
        """Steps keep quoting (sizes change, quotes stay fresh) but prices do not move: tests
        move them with ``set_mid`` alone."""

    def subscribe(self, listener: QuoteListener) -> Callable[[], None]:
        """Call ``listener`` with every new quote; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def quote(self, con_id: int) -> Quote:
        return self._quotes[con_id]

    def snapshot(self) -> dict[int, Quote]:
        return dict(self._quotes)

    def step(self) -> list[Quote]:
        """Advance every instrument by one random-walk step and notify listeners."""
        updated = []
        for cid, inst in sorted(self._instruments.items()):
            move = self._rng.randint(-inst.volatility_ticks, inst.volatility_ticks)
            move = 0 if self.still else move  # drawn all the same: the seed's sequence holds
            self._mid_ticks[cid] = max(self._mid_ticks[cid] + move, 2 * inst.spread_ticks + 1)
            quote = self._make(inst, self._quotes[cid].seq + 1)
            self._quotes[cid] = quote
            updated.append(quote)
        for quote in updated:
            for listener in list(self._listeners):
                listener(quote)
        return updated

    def set_mid(self, con_id: int, price: Decimal) -> Quote:
        """Move an instrument's mid to ``price`` (rounded to its tick): for tests and demos."""
        inst = self._instruments[con_id]
        self._mid_ticks[con_id] = int(price / inst.min_tick)
        quote = self._make(inst, self._quotes[con_id].seq + 1)
        self._quotes[con_id] = quote
        for listener in list(self._listeners):
            listener(quote)
        return quote

    def record_trade(self, con_id: int, price: Decimal, size: Decimal) -> None:
        """Reflect a venue fill in last / last size / volume."""
        q = self._quotes[con_id]
        self._quotes[con_id] = replace(q, last=price, last_size=size, volume=q.volume + size)

    def _make(self, inst: Instrument, seq: int) -> Quote:
        mid = self._mid_ticks[inst.con_id]
        spread = inst.spread_ticks
        bid = (mid - (spread + 1) // 2) * inst.min_tick
        ask = bid + spread * inst.min_tick
        previous = self._quotes.get(inst.con_id)
        size = Decimal(self._rng.choice(_SIZES))
        return Quote(
            con_id=inst.con_id,
            bid=bid.quantize(inst.min_tick),
            ask=ask.quantize(inst.min_tick),
            last=previous.last if previous else (mid * inst.min_tick).quantize(inst.min_tick),
            bid_size=size,
            ask_size=Decimal(self._rng.choice(_SIZES)),
            last_size=previous.last_size if previous else Decimal(100),
            volume=previous.volume if previous else Decimal(0),
            seq=seq,
        )
