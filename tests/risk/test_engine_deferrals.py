"""Deferred decisions: waiting for a first quote, parking through a session gap, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec

from sluice_proto import (
    ApprovedOrder,
    CancelRequest,
    Instrument,
    KillSwitch,
    MdSubscriptionRejected,
    OrderCancelled,
    OrderExpired,
    OrderParked,
    OrderRejected,
    OrderReleased,
)
from sluice_proto.market_data import SubscriptionRejectReason
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.deferrals import DeferralPolicy
from sluice_risk.domain.engine import AwaitingQuote, RiskEngine
from tests.risk.factories import ACCOUNT, NOW, engine, later, quote, session, signal


def halted() -> RiskEngine:
    risk = engine()
    risk.state.on_session(session(allowed=False, ts=later(0.5)))
    return risk


def test_a_signal_without_a_quote_subscribes_and_waits_then_is_approved_on_the_quote() -> None:
    risk = engine()
    waiting = risk.decide(signal(symbol="MSFT"), NOW)
    assert isinstance(waiting, AwaitingQuote)
    assert waiting.deadline == later(2)
    assert risk.state.changes.subscriptions == [Instrument(symbol="MSFT")]
    assert risk.ready_accounts(later(1)) == set()
    assert risk.revisit(ACCOUNT, later(1)) == []  # nothing came yet: still waiting
    risk.state.on_quote(quote("MSFT", ts=later(1)))
    assert risk.ready_accounts(later(1)) == {ACCOUNT}
    [approved] = risk.revisit(ACCOUNT, later(1))
    assert isinstance(approved, ApprovedOrder) and approved.approved_at == later(1)
    assert not risk.state.deferrals


def test_a_quote_that_never_comes_is_no_quote_with_what_to_check() -> None:
    risk = engine()
    risk.decide(signal(symbol="MSFT"), NOW)
    [rejected] = risk.revisit(ACCOUNT, later(2))
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "NO_QUOTE"
    assert "market-data" in rejected.message and "SLUICE_MD_LINE_BUDGET" in rejected.message


def test_a_refused_subscription_ends_the_wait_with_the_reason() -> None:
    risk = engine()
    risk.decide(signal(symbol="MSFT"), NOW)
    risk.state.on_refusal(
        MdSubscriptionRejected(
            instrument=Instrument(symbol="MSFT"),
            subscriber_id="risk",
            reason_code="LINE_BUDGET_EXHAUSTED",
            message="100 of 100 lines in use",
        )
    )
    assert risk.ready_accounts(later(0.1)) == {ACCOUNT}
    [rejected] = risk.revisit(ACCOUNT, later(0.1))
    assert isinstance(rejected, OrderRejected) and "LINE_BUDGET_EXHAUSTED" in rejected.message
    assert rejected.reason_code == "NO_QUOTE"  # the instrument is fine; its quotes are not


AAPL_DEC_CALL = {  # the option's terms on a signal: December 2026 has two expiries
    "symbol": "AAPL", "sec_type": "OPT", "last_trade_date_or_contract_month": "202612",
    "strike": Decimal(200), "right": "C",
}  # fmt: skip


def refused(instrument: Instrument, reason: SubscriptionRejectReason, *expiries: str) -> (
    MdSubscriptionRejected
):  # fmt: skip
    """Market-data's refusal of ``instrument``, naming a candidate per expiry."""
    candidates = [
        msgspec.structs.replace(instrument, con_id=n, last_trade_date_or_contract_month=expiry)
        for n, expiry in enumerate(expiries, start=700000001)
    ]
    return MdSubscriptionRejected(
        instrument=instrument, subscriber_id="risk", reason_code=reason,
        message="IBKR 200: refused", candidates=candidates,
    )  # fmt: skip


def test_an_ambiguous_instrument_is_rejected_as_such_with_its_candidates() -> None:
    risk = engine()
    option = signal(order_type="MKT", limit_price=None, **AAPL_DEC_CALL)
    assert isinstance(risk.decide(option, NOW), AwaitingQuote)
    refusal = refused(option.instrument, "AMBIGUOUS_INSTRUMENT", "20261211", "20261218")
    risk.state.on_refusal(refusal)
    assert risk.ready_accounts(later(0.1)) == {ACCOUNT}
    [rejected] = risk.revisit(ACCOUNT, later(0.1))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.reason_code, rejected.rejected_by) == ("AMBIGUOUS_INSTRUMENT", "risk")
    assert rejected.candidates == refusal.candidates and len(rejected.candidates) == 2
    assert "IBKR 200: refused" in rejected.message


def test_an_unknown_instrument_is_rejected_as_such_not_as_no_quote() -> None:
    risk = engine()
    risk.decide(signal(symbol="ZZZZ", order_type="MKT", limit_price=None), NOW)
    risk.state.on_refusal(refused(Instrument(symbol="ZZZZ"), "UNKNOWN_INSTRUMENT"))
    [rejected] = risk.revisit(ACCOUNT, later(0.1))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.reason_code, rejected.candidates) == ("UNKNOWN_INSTRUMENT", [])


def test_a_limit_order_without_a_quote_requirement_is_left_to_the_routers_qualification() -> (
    None
):  # fmt: skip
    risk = engine({"defaults": {"require_quote_for_limit": False}})
    option = signal(**AAPL_DEC_CALL)
    risk.state.on_refusal(refused(option.instrument, "AMBIGUOUS_INSTRUMENT", "20261211"))
    assert isinstance(risk.decide(option, NOW), ApprovedOrder)  # the router rejects it


def test_without_a_quote_wait_a_missing_quote_is_refused_at_once() -> None:
    risk = engine()
    risk.policy = DeferralPolicy(quote_wait=timedelta(0))
    rejected = risk.decide(signal(symbol="MSFT"), NOW)
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "NO_QUOTE"


def test_a_signal_in_a_session_gap_is_parked_and_released_through_the_full_checks() -> None:
    risk = halted()
    parked = risk.decide(signal("a"), later(1))
    too_big = risk.decide(signal("b", quantity=Decimal(10**6)), later(1))
    assert isinstance(parked, OrderParked) and "gateway down" in parked.reason
    assert isinstance(too_big, OrderParked)  # judged at release, against the limits then
    assert risk.ready_accounts(later(5)) == set()
    risk.state.on_session(session(ts=later(6)))
    risk.state.on_quote(quote(ts=later(6)))
    decisions = risk.revisit(ACCOUNT, later(6))
    kinds = [(type(d).__name__, d.client_order_id) for d in decisions]
    assert kinds == [
        ("OrderReleased", signal("a").client_order_id),
        ("ApprovedOrder", signal("a").client_order_id),
        ("OrderReleased", signal("b").client_order_id),
        ("OrderRejected", signal("b").client_order_id),
    ]
    approved = decisions[1]
    assert isinstance(approved, ApprovedOrder) and approved.approved_at == later(6)


def test_park_false_gets_the_rejection() -> None:
    rejected = halted().decide(signal(park=False), later(1))
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "TRADING_NOT_ALLOWED"


def test_a_parked_signal_expires_when_its_expiry_passes() -> None:
    risk = halted()
    risk.decide(signal(order_type="MKT", limit_price=None), later(1))
    assert risk.ready_accounts(later(30)) == set()
    [expired] = risk.revisit(ACCOUNT, later(31))
    assert isinstance(expired, OrderExpired) and expired.expires_at == later(31)
    assert risk.state.orders.get(signal().client_order_id).status == "expired"  # type: ignore[union-attr]
    risk.state.on_session(session(ts=later(40)))
    assert risk.revisit(ACCOUNT, later(40)) == []


def test_a_signal_already_past_its_own_expiry_is_expired_not_sent() -> None:
    expired = engine().decide(signal(expires_at=NOW - timedelta(seconds=1)), NOW)
    assert isinstance(expired, OrderExpired)


def test_the_kill_switch_refuses_parked_signals_without_releasing_them() -> None:
    risk = halted()
    risk.decide(signal(), later(1))
    risk.state.on_control(KillSwitch(account=ACCOUNT, reason="drill"))
    [rejected] = risk.revisit(ACCOUNT, later(2))
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "KILL_SWITCH"


def test_a_cancel_ends_a_parked_signal_before_it_is_ever_approved() -> None:
    risk = halted()
    risk.decide(signal("a"), later(1))
    cancelled = risk.decide(CancelRequest(strategy_id="strat", signal_id="a"), later(2))
    assert isinstance(cancelled, OrderCancelled)
    risk.state.on_session(session(ts=later(3)))
    assert risk.revisit(ACCOUNT, later(3)) == []


def test_a_resubmitted_parked_signal_is_a_duplicate() -> None:
    risk = halted()
    risk.decide(signal(), later(1))
    assert type(risk.decide(signal(), later(2))).__name__ == "SignalDuplicate"


def test_the_approved_order_carries_the_expiry() -> None:
    approved = engine().decide(signal(order_type="MKT", limit_price=None), NOW)
    assert isinstance(approved, ApprovedOrder) and approved.expires_at == later(30)
    own = engine().decide(signal(expires_at=later(5)), NOW)
    assert isinstance(own, ApprovedOrder) and own.expires_at == later(5)


def test_default_lifetimes_by_order_type() -> None:
    policy = DeferralPolicy()
    morning = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)  # 10:00 in New York
    close = datetime(2025, 1, 6, 21, 0, tzinfo=UTC)  # 16:00 in New York
    assert policy.expires_at(signal(), morning) == close
    evening = datetime(2025, 1, 6, 22, 0, tzinfo=UTC)  # after the close: capped
    assert policy.expires_at(signal(), evening) == evening + timedelta(hours=8)
    assert policy.expires_at(signal(tif="GTC"), morning) == morning + timedelta(days=7)
    assert policy.expires_at(signal(tif="IOC"), morning) == morning + timedelta(seconds=30)
    outside = signal(outside_rth=True)
    assert policy.expires_at(outside, morning) == morning + timedelta(hours=8)


def test_deferred_signals_survive_a_restore_from_the_changelog() -> None:
    risk = halted()
    risk.decide(signal("a"), later(1))
    records = Changelog(risk.state, 5).drain(later(1))
    fresh = engine()
    for _, record in records:
        restore(fresh.state, record)
    assert [d.signal.signal_id for _, d in fresh.state.deferrals] == ["a"]
    [released, approved] = fresh.revisit(ACCOUNT, later(2))
    assert isinstance(released, OrderReleased) and isinstance(approved, ApprovedOrder)
    after = Changelog(fresh.state, 5).drain(later(2))
    restored_again = engine()
    for _, record in records + after:
        restore(restored_again.state, record)
    assert not restored_again.state.deferrals


def test_a_released_signal_waits_for_quotes_to_resume_after_the_gap() -> None:
    """Trading is allowed again before quotes flow (a restarted router subscribes anew): the
    released signal waits for a fresh quote beyond the first-quote wait, it is not refused
    ``STALE_QUOTE``. Found by the chaos run (tests/support/chaos.py)."""
    risk = halted()
    risk.decide(signal(order_type="MKT", limit_price=None), later(1))
    risk.state.on_session(session(ts=later(6)))  # the last quote is NOW's: stale by now
    released, waiting = risk.revisit(ACCOUNT, later(6))
    assert isinstance(released, OrderReleased) and isinstance(waiting, AwaitingQuote)
    assert risk.revisit(ACCOUNT, later(9)) == []  # past the 2 s first-quote wait: still waiting
    risk.state.on_quote(quote(ts=later(10)))
    [approved] = risk.revisit(ACCOUNT, later(10))
    assert isinstance(approved, ApprovedOrder)


def test_a_released_signal_without_a_quote_is_refused_at_its_expiry() -> None:
    risk = halted()
    risk.decide(signal(order_type="MKT", limit_price=None), later(1))
    risk.state.on_session(session(ts=later(6)))
    risk.revisit(ACCOUNT, later(6))
    [expired] = risk.revisit(ACCOUNT, later(31))  # the market order's 30 s lifetime
    assert isinstance(expired, OrderExpired)
