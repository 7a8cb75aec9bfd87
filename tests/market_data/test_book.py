"""Conflation and staleness of quotes on a fake clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sluice_market_data.domain import QuoteBook

from tests.market_data.factories import AAPL, MSFT, at, tick


def book(interval_ms: int = 100, stale_ms: int = 5000) -> QuoteBook:
    return QuoteBook(timedelta(milliseconds=interval_ms), timedelta(milliseconds=stale_ms))


def test_the_first_tick_is_published_at_once_with_its_source_time() -> None:
    quote = book().on_tick(tick(bid=10, ask=11, ms=-3), at(0))
    assert quote is not None
    assert (quote.bid, quote.ask, quote.last, quote.stale) == (
        Decimal(10),
        Decimal(11),
        None,
        False,
    )
    assert (quote.source_ts, quote.ts) == (at(-3), at(0))


def test_ticks_merge_into_one_quote_field_by_field() -> None:
    quotes = book(interval_ms=0)
    quotes.on_tick(tick(bid=10, ask=11), at(0))
    quote = quotes.on_tick(tick(last=10.5, last_size=200), at(1))
    assert quote is not None
    assert (quote.bid, quote.ask, quote.last, quote.last_size) == (
        Decimal(10),
        Decimal(11),
        Decimal("10.5"),
        Decimal(200),
    )


def test_a_burst_is_conflated_to_one_quote_per_interval_keeping_the_latest() -> None:
    quotes = book(interval_ms=100)
    assert quotes.on_tick(tick(bid=1), at(0)) is not None
    held = [quotes.on_tick(tick(bid=price), at(ms)) for price, ms in ((2, 10), (3, 50), (4, 99))]
    assert held == [None, None, None]
    assert quotes.due(at(99)) == []
    (flushed,) = quotes.due(at(100))
    assert (flushed.bid, flushed.ts) == (Decimal(4), at(100))
    assert quotes.due(at(300)) == []  # nothing new: nothing to publish


def test_the_interval_is_per_instrument() -> None:
    quotes = book(interval_ms=100)
    assert quotes.on_tick(tick(AAPL, bid=1), at(0)) is not None
    assert quotes.on_tick(tick(MSFT, bid=2), at(10)) is not None
    assert quotes.on_tick(tick(AAPL, bid=3), at(20)) is None


def test_a_tick_after_the_interval_is_published_at_once() -> None:
    quotes = book(interval_ms=100)
    quotes.on_tick(tick(bid=1), at(0))
    quote = quotes.on_tick(tick(bid=2), at(150))
    assert quote is not None
    assert quote.bid == Decimal(2)


def test_a_quiet_instrument_is_republished_stale_once_then_fresh_on_the_next_tick() -> None:
    quotes = book(interval_ms=100, stale_ms=5000)
    quotes.on_tick(tick(bid=1), at(0))
    assert quotes.due(at(5000)) == []
    (stale,) = quotes.due(at(5001))
    assert (stale.stale, stale.bid, stale.ts) == (True, Decimal(1), at(5001))
    assert quotes.due(at(9000)) == []
    fresh = quotes.on_tick(tick(bid=2), at(9001))
    assert fresh is not None
    assert (fresh.stale, fresh.bid) == (False, Decimal(2))


def test_forgotten_instruments_are_no_longer_quoted() -> None:
    quotes = book()
    quotes.on_tick(tick(AAPL, bid=1), at(0))
    quotes.on_tick(tick(MSFT, bid=2), at(0))
    quotes.forget(AAPL.key)
    assert [q.instrument for q in quotes.quotes()] == [MSFT]
    assert quotes.due(at(60_000))[0].instrument == MSFT
