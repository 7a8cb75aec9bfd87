"""Builders shared by the market-data tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sluice_proto.common import Instrument
from sluice_proto.market_data import MdTick

T0 = datetime(2024, 6, 12, 14, 0, tzinfo=UTC)
AAPL = Instrument(symbol="AAPL")
MSFT = Instrument(symbol="MSFT")


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def tick(instrument: Instrument = AAPL, ms: int = 0, **prices: Any) -> MdTick:
    values = {name: Decimal(str(value)) for name, value in prices.items()}
    return MdTick(instrument=instrument, ts=at(ms), **values)


def stock(n: int) -> Instrument:
    return Instrument(symbol=f"S{n:03d}")
