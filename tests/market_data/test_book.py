"""Conflation and staleness of quotes on a fake clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sluice_market_data.domain import QuoteBook
from sluice_proto.market_data import MdTick, Quote
from tests.market_data.factories import AAPL, MSFT, at, tick


def book(interval_ms: int = 100, stale_ms: int = 5000) -> QuoteBook:
    return QuoteBook(timedelta(milliseconds=interval_ms), timedelta(milliseconds=stale_ms))


def publish(quotes: QuoteBook, ms: int, *ticks: MdTick) -> list[Quote]:
    for one in ticks:
        quotes.on_tick(one, at(ms))
    return quotes.due(at(ms))


def test_the_first_tick_is_published_at_once_with_its_source_time() -> None:
    (quote,) = publish(book(), 0, tick(bid=10, ask=11, ms=-3))
    assert (quote.bid, quote.ask, quote.last, quote.stale) == (
        Decimal(10),
        Decimal(11),
        None,
        False,
    )
    assert (quote.source_ts, quote.ts) == (at(-3), at(0))


def test_ticks_merge_into_one_quote_field_by_field() -> None:
    quotes = book(interval_ms=0)
    publish(quotes, 0, tick(bid=10, ask=11))
    (quote,) = publish(quotes, 1, tick(last=10.5, last_size=200))
    assert (quote.bid, quote.ask, quote.last, quote.last_size) == (
        Decimal(10),
        Decimal(11),
        Decimal("10.5"),
        Decimal(200),
    )


def test_a_burst_is_conflated_to_one_quote_per_interval_keeping_the_latest() -> None:
    quotes = book(interval_ms=100)
    assert len(publish(quotes, 0, tick(bid=1))) == 1
    held = [publish(quotes, ms, tick(bid=price)) for price, ms in ((2, 10), (3, 50), (4, 99))]
    assert held == [[], [], []]
    (flushed,) = quotes.due(at(100))
    assert (flushed.bid, flushed.ts) == (Decimal(4), at(100))
    assert quotes.due(at(300)) == []  # nothing new: nothing to publish


def test_the_interval_is_per_instrument() -> None:
    quotes = book(interval_ms=100)
    assert len(publish(quotes, 0, tick(AAPL, bid=1))) == 1
    assert len(publish(quotes, 10, tick(MSFT, bid=2))) == 1
    assert publish(quotes, 20, tick(AAPL, bid=3)) == []


def test_a_tick_after_the_interval_is_published_at_once() -> None:
    quotes = book(interval_ms=100)
    publish(quotes, 0, tick(bid=1))
    (quote,) = publish(quotes, 150, tick(bid=2))
    assert quote.bid == Decimal(2)


def test_a_quiet_instrument_is_republished_stale_once_then_fresh_on_the_next_tick() -> None:
    quotes = book(interval_ms=100, stale_ms=5000)
    publish(quotes, 0, tick(bid=1))
    assert quotes.due(at(5000)) == []
    (stale,) = quotes.due(at(5001))
    assert (stale.stale, stale.bid, stale.ts) == (True, Decimal(1), at(5001))
    assert quotes.due(at(9000)) == []
    (fresh,) = publish(quotes, 9001, tick(bid=2))
    assert (fresh.stale, fresh.bid) == (False, Decimal(2))


def test_forgotten_instruments_are_no_longer_quoted() -> None:
    quotes = book()
    publish(quotes, 0, tick(AAPL, bid=1), tick(MSFT, bid=2))
    quotes.forget(AAPL.key)
    assert [q.instrument for q in quotes.quotes()] == [MSFT]
    assert quotes.due(at(60_000))[0].instrument == MSFT
