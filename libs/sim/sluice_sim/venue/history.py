"""Deterministic historical bars: the venue's price path walked back from the current mid.

The quote book keeps no past, so a request's bars are a seeded random walk (in whole ticks,
with the instrument's volatility) that ends at the instrument's current mid. The same venue
seed, instrument, bar size and end time always give the same bars.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .instruments import Instrument

BAR_SIZES: dict[str, int] = {
    "1 secs": 1,
    "5 secs": 5,
    "10 secs": 10,
    "15 secs": 15,
    "30 secs": 30,
    "1 min": 60,
    "2 mins": 120,
    "3 mins": 180,
    "5 mins": 300,
    "10 mins": 600,
    "15 mins": 900,
    "20 mins": 1200,
    "30 mins": 1800,
    "1 hour": 3600,
    "2 hours": 7200,
    "3 hours": 10800,
    "4 hours": 14400,
    "8 hours": 28800,
    "1 day": 86400,
    "1 week": 604800,
    "1 month": 2_592_000,
}
"""IBKR's legal bar size settings, in seconds."""

DURATION_UNITS: dict[str, int] = {"S": 1, "D": 86400, "W": 604800, "M": 2_592_000, "Y": 31_536_000}
"""The units of a duration string (``"3 D"``), in seconds."""

TRADES = "TRADES"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar; ``volume``, ``wap`` and ``count`` are -1 for quote-based data, as IBKR sends."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    wap: Decimal
    count: int


def duration_seconds(text: str) -> int | None:
    """``"3 D"`` as seconds; None when it is not ``<positive integer> <S|D|W|M|Y>``."""
    amount, _, unit = text.strip().partition(" ")
    if not amount.isdigit() or int(amount) <= 0 or unit not in DURATION_UNITS:
        return None
    return int(amount) * DURATION_UNITS[unit]


def bars(
    inst: Instrument,
    mid: Decimal,
    *,
    end: datetime,
    duration_s: int,
    bar_s: int,
    what_to_show: str,
    seed: int,
) -> list[Bar]:
    """The bars covering ``duration_s`` up to ``end``, the last closing at ``mid``; a bar that
    would start at ``end`` is not yet in (as with IBKR, an aligned end closes the bar before)."""
    last_start = (math.ceil(end.timestamp()) - 1) // bar_s * bar_s  # the bar holding ``end``
    count = max(1, -(-duration_s // bar_s))
    rng = random.Random(f"{seed}:{inst.con_id}:{bar_s}:{last_start}:{what_to_show}")
    tick, step = inst.min_tick, max(1, inst.volatility_ticks)
    close = int(mid / tick)
    floor = 2 * inst.spread_ticks + 1
    out: list[Bar] = []
    for i in range(count):
        open_ = max(close - rng.randint(-step, step), floor)
        high = max(open_, close) + rng.randint(0, step)
        low = max(min(open_, close) - rng.randint(0, step), floor)
        start = datetime.fromtimestamp(last_start - i * bar_s, end.tzinfo)
        out.append(_bar(start, (open_, high, low, close), tick, what_to_show, rng))
        close = open_
    out.reverse()
    return out


def _bar(
    start: datetime,
    ohlc: tuple[int, int, int, int],
    tick: Decimal,
    what_to_show: str,
    rng: random.Random,
) -> Bar:
    o, h, lo, c = (Decimal(t) * tick for t in ohlc)
    if what_to_show != TRADES:
        none = Decimal(-1)
        return Bar(start, o, h, lo, c, none, none, -1)
    wap = ((o + h + lo + c) / 4).quantize(tick)
    count = rng.randint(1, 50)
    return Bar(start, o, h, lo, c, Decimal(100 * count), wap, count)
