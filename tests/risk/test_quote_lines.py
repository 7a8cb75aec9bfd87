"""Risk's own market-data subscriptions: held while needed, released once idle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sluice_proto import ApprovedOrder, Instrument, OrderCancelled
from sluice_risk.domain.engine import AwaitingQuote
from sluice_risk.domain.quote_lines import QuoteLines
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, later, quote, signal

AAPL = Instrument(symbol="AAPL")
MSFT = Instrument(symbol="MSFT")
IDLE = timedelta(seconds=300)


def symbols(instruments: list[Instrument]) -> list[str]:
    return sorted(instrument.symbol for instrument in instruments)


def test_the_first_need_subscribes_and_later_ones_do_not() -> None:
    lines = QuoteLines(IDLE)
    assert lines.hold(AAPL, NOW) is True
    assert lines.hold(AAPL, later(1)) is False
    assert lines.instruments() == [AAPL]


def test_a_subscription_is_released_once_idle_for_the_period() -> None:
    lines = QuoteLines(IDLE)
    lines.hold(AAPL, NOW)
    lines.hold(MSFT, later(100))
    assert lines.release_idle([], later(299)) == []
    assert lines.release_idle([], later(300)) == [AAPL]
    assert lines.release_idle([], later(400)) == [MSFT]
    assert lines.instruments() == []


def test_using_the_quote_or_needing_it_for_marks_restarts_the_idle_period() -> None:
    lines = QuoteLines(IDLE)
    lines.hold(AAPL, NOW)
    lines.hold(MSFT, NOW)
    lines.need(AAPL, later(200))
    assert lines.release_idle([MSFT], later(300)) == []
    assert lines.release_idle([], later(499)) == []
    assert symbols(lines.release_idle([], later(600))) == ["AAPL", "MSFT"]


def test_needing_what_risk_did_not_subscribe_holds_nothing() -> None:
    lines = QuoteLines(IDLE)
    lines.need(AAPL, NOW)
    assert lines.release_idle([MSFT], later(1000)) == []
    assert lines.instruments() == []


def test_a_refused_subscription_is_forgotten_and_asked_for_again() -> None:
    lines = QuoteLines(IDLE)
    lines.hold(AAPL, NOW)
    lines.drop(AAPL)
    assert lines.release_idle([], later(1000)) == []
    assert lines.hold(AAPL, later(1)) is True


def test_a_working_order_then_a_position_keep_the_quote_and_a_flat_book_releases_it() -> None:
    risk = engine()
    risk.state.want_quotes(AAPL, NOW)
    bought = risk.decide(signal("b"), NOW)
    assert isinstance(bought, ApprovedOrder)
    assert risk.state.release_idle_quotes(later(1000)) == []  # the working order is marked
    risk.state.on_order_event(fill_event(bought.client_order_id, "10", "100", final=True))
    assert risk.state.release_idle_quotes(later(2000)) == []  # so is the position
    risk.state.on_quote(quote(ts=later(2000)))
    sold = risk.decide(signal("s", side="SELL", created_at=later(2000)), later(2000))
    assert isinstance(sold, ApprovedOrder)
    risk.state.on_order_event(
        fill_event(sold.client_order_id, "10", "100", final=True, exec_id="e2")
    )
    assert risk.state.release_idle_quotes(later(2299)) == []
    assert symbols(risk.state.release_idle_quotes(later(2300))) == ["AAPL"]


def test_a_signal_waiting_for_its_quote_keeps_the_subscription() -> None:
    risk = engine()
    waiting = risk.decide(signal("m", symbol="MSFT"), NOW)
    assert isinstance(waiting, AwaitingQuote)
    assert symbols(risk.state.changes.subscriptions) == ["MSFT"]
    assert risk.state.release_idle_quotes(later(1000)) == []


def test_after_a_restore_what_is_needed_is_subscribed_and_the_rest_released() -> None:
    risk = engine()
    risk.state.on_quote(quote("MSFT"))
    working = risk.decide(signal("a"), NOW)
    cancelled = risk.decide(signal("m", symbol="MSFT"), NOW)
    too_big = risk.decide(signal("x", symbol="MSFT", quantity=Decimal(10**6)), NOW)
    assert isinstance(working, ApprovedOrder) and isinstance(cancelled, ApprovedOrder)
    assert not isinstance(too_big, ApprovedOrder)
    risk.state.on_order_event(
        OrderCancelled(client_order_id=cancelled.client_order_id, account=ACCOUNT)
    )
    released = risk.state.resume_quotes(later(1))
    assert symbols(released) == ["MSFT"]  # once, though two orders named it
    assert symbols(risk.state.changes.subscriptions) == ["AAPL"]
    assert symbols(risk.state.lines.instruments()) == ["AAPL"]
