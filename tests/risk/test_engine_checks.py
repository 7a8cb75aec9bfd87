"""Every pre-trade check, on both sides of its threshold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sluice_proto import (
    ApprovedOrder,
    CancelOrder,
    CancelRequest,
    KillSwitch,
    OrderCancelled,
    OrderParked,
    OrderRejected,
    Resume,
)
from sluice_risk.domain.engine import AwaitingQuote, Decision, RiskEngine
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, later, quote, session, signal


def reason(decision: Decision) -> str | None:
    if isinstance(decision, OrderRejected):
        return decision.reason_code
    if isinstance(decision, OrderParked):
        return "parked"
    assert isinstance(decision, ApprovedOrder | CancelOrder), decision
    return None


def decide(risk: RiskEngine, signal_id: str = "s1", at: Any = NOW, **fields: Any) -> str | None:
    """The decision's reason code for a signal made at ``at``; a signal waiting for a quote is
    decided when the wait ends."""
    decision = risk.decide(signal(signal_id, **{"created_at": at, **fields}), at)
    if isinstance(decision, AwaitingQuote):  # no quote came during the wait
        [decision] = risk.revisit(decision.account, decision.deadline)
    return reason(decision)


def limits(**values: Any) -> dict[str, Any]:
    return {"defaults": values}


def test_a_plain_limit_order_is_approved_with_the_signals_fields() -> None:
    decision = engine().decide(signal(quantity=Decimal(5)), NOW)
    assert isinstance(decision, ApprovedOrder)
    assert (decision.account, decision.quantity, decision.limit_price) == (
        ACCOUNT,
        Decimal(5),
        Decimal(100),
    )
    assert decision.client_order_id == signal().client_order_id
    assert decision.approved_at == NOW


@pytest.mark.parametrize(("quantity", "expected"), [(100, None), (101, "MAX_ORDER_QUANTITY")])
def test_max_order_quantity(quantity: int, expected: str | None) -> None:
    risk = engine(limits(max_order_quantity=100))
    assert decide(risk, quantity=Decimal(quantity)) == expected


@pytest.mark.parametrize(("price", "expected"), [("100", None), ("100.01", "MAX_ORDER_NOTIONAL")])
def test_max_order_notional(price: str, expected: str | None) -> None:
    risk = engine(limits(max_order_notional=10_000))
    assert decide(risk, quantity=Decimal(100), limit_price=Decimal(price)) == expected


def test_notional_counts_the_contract_multiplier() -> None:
    risk = engine({"symbols": {"AAPL": {"multiplier": 100}}, **limits(max_order_notional=99_999)})
    assert decide(risk, quantity=Decimal(10)) == "MAX_ORDER_NOTIONAL"  # 10 x 100 x 100


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("101", None),
        ("101.01", "PRICE_COLLAR"),
        ("99", None),
        ("98.99", "PRICE_COLLAR"),
    ],
)
def test_price_collar_around_the_mid(limit: str, expected: str | None) -> None:
    risk = engine(limits(price_collar_bps=100))  # mid is 100
    assert decide(risk, limit_price=Decimal(limit)) == expected


@pytest.mark.parametrize(("age", "expected"), [(5.0, None), (5.001, "STALE_QUOTE")])
def test_market_order_needs_a_fresh_quote(age: float, expected: str | None) -> None:
    risk = engine(limits(quote_max_age_s=5))
    assert decide(risk, at=later(age), order_type="MKT", limit_price=None) == expected


def test_market_order_with_a_quote_flagged_stale_is_refused() -> None:
    risk = engine()
    risk.state.on_quote(quote(stale=True, ts=later(0.1)))
    assert decide(risk, order_type="MKT", limit_price=None, at=later(0.2)) == "STALE_QUOTE"


def test_market_order_without_any_quote_is_refused() -> None:
    risk = engine()
    assert decide(risk, symbol="MSFT", order_type="MKT", limit_price=None) == "NO_QUOTE"


def test_limit_order_quote_requirement_is_configurable() -> None:
    assert decide(engine(), symbol="MSFT") == "NO_QUOTE"
    assert decide(engine(limits(require_quote_for_limit=False)), symbol="MSFT") is None


def test_market_order_notional_is_valued_at_the_quote() -> None:
    risk = engine(limits(max_order_notional=1000))
    assert decide(risk, "a", order_type="MKT", limit_price=None, quantity=Decimal(10)) is None
    assert decide(risk, "b", order_type="MKT", limit_price=None, quantity=Decimal(11)) == (
        "MAX_ORDER_NOTIONAL"
    )


def test_symbol_deny_and_allow_lists() -> None:
    denied = engine(limits(denied_symbols=["AAPL"]))
    assert decide(denied) == "SYMBOL_NOT_ALLOWED"
    allowed = engine(limits(allowed_symbols=["MSFT"]))
    assert decide(allowed) == "SYMBOL_NOT_ALLOWED"
    assert decide(engine(limits(allowed_symbols=["AAPL"]))) is None


def _hold(risk: RiskEngine, signal_id: str, quantity: int, side: str = "BUY") -> None:
    """Approve an order and fill it completely."""
    decision = risk.decide(signal(signal_id, quantity=Decimal(quantity), side=side), NOW)
    assert isinstance(decision, ApprovedOrder)
    risk.state.on_order_event(
        fill_event(decision.client_order_id, str(quantity), "100", final=True)
    )


def test_max_position_counts_the_position_and_working_orders() -> None:
    risk = engine(limits(max_position=100))
    _hold(risk, "held", 50)
    assert decide(risk, "working", quantity=Decimal(30)) is None  # 50 held + 30 working
    assert decide(risk, "over", quantity=Decimal(21)) == "MAX_POSITION"
    assert decide(risk, "fits", quantity=Decimal(20)) is None


def test_reducing_a_position_is_allowed_even_above_the_limit() -> None:
    risk = engine(limits(max_position=100))
    _hold(risk, "held", 100)
    risk.state.limits = engine(limits(max_position=10)).state.limits  # the limit was lowered
    assert decide(risk, "more", quantity=Decimal(1)) == "MAX_POSITION"
    assert decide(risk, "less", side="SELL", quantity=Decimal(30)) is None
    assert decide(risk, "flip", side="SELL", quantity=Decimal(200)) == "MAX_POSITION"


def test_sells_that_together_go_past_flat_are_not_reducing() -> None:
    risk = engine(limits(max_position=100))
    _hold(risk, "held", 100)
    assert decide(risk, "close", side="SELL", quantity=Decimal(100)) is None  # working: flat
    assert decide(risk, "short", side="SELL", quantity=Decimal(100)) is None  # -100: at the max
    assert decide(risk, "shorter", side="SELL", quantity=Decimal(1)) == "MAX_POSITION"


def test_a_sell_past_flat_with_working_sells_counts_gross_exposure() -> None:
    risk = engine(limits(max_gross_exposure=3000))
    _hold(risk, "held", 10)  # 1000 at the 100 mark
    assert decide(risk, "close", side="SELL", quantity=Decimal(10)) is None  # reduces
    assert decide(risk, "short", side="SELL", quantity=Decimal(11)) == "MAX_GROSS_EXPOSURE"


def test_account_wide_limits_come_from_the_account_not_the_symbol() -> None:
    per_symbol = {"max_open_orders": 50, "max_gross_exposure": 10**9, "daily_loss_limit": 10**9}
    risk = engine({"symbols": {"AAPL": per_symbol}, **limits(max_open_orders=1)})
    assert decide(risk, "first") is None
    assert decide(risk, "second") == "MAX_OPEN_ORDERS"
    risk = engine({"symbols": {"AAPL": per_symbol}, **limits(max_gross_exposure=1500)})
    assert decide(risk, "first") is None  # 1000
    assert decide(risk, "second") == "MAX_GROSS_EXPOSURE"


def test_max_gross_exposure_counts_positions_and_working_orders() -> None:
    risk = engine(limits(max_gross_exposure=3000))
    _hold(risk, "held", 10)  # 1000 at the 100 mark
    assert decide(risk, "working", quantity=Decimal(10)) is None  # +1000 working
    assert decide(risk, "over", quantity=Decimal(11)) == "MAX_GROSS_EXPOSURE"
    assert decide(risk, "fits", quantity=Decimal(10)) is None


@pytest.mark.parametrize(("orders", "expected"), [(2, None), (3, "MAX_OPEN_ORDERS")])
def test_max_open_orders(orders: int, expected: str | None) -> None:
    risk = engine(limits(max_open_orders=3))
    for number in range(orders):
        assert decide(risk, f"open{number}") is None
    assert decide(risk, "next") == expected


def test_a_cancelled_order_frees_its_open_order_slot() -> None:
    risk = engine(limits(max_open_orders=1))
    assert decide(risk, "first") is None
    assert decide(risk, "second") == "MAX_OPEN_ORDERS"
    risk.state.on_order_event(
        OrderCancelled(client_order_id=signal("first").client_order_id, account=ACCOUNT)
    )
    assert decide(risk, "third") is None


def test_order_rate_is_a_sliding_window_per_strategy() -> None:
    risk = engine(limits(max_orders_per_window=2, rate_window_s=1))
    assert decide(risk, "a", at=NOW) is None
    assert decide(risk, "b", at=later(0.5)) is None
    assert decide(risk, "c", at=later(0.9)) == "ORDER_RATE"
    assert decide(risk, "d", at=later(0.9), strategy_id="other") is None
    assert decide(risk, "e", at=later(1.0)) is None  # "a" has left the window


def test_daily_realised_loss_limit_resets_on_the_next_trading_day() -> None:
    risk = engine(limits(daily_loss_limit=100, max_order_notional=10**9))
    _hold(risk, "buy", 100)  # 100 @ 100
    close = risk.decide(signal("sell", side="SELL", quantity=Decimal(100)), NOW)
    assert isinstance(close, ApprovedOrder)
    risk.state.on_order_event(fill_event(close.client_order_id, "99", "99", final=False))
    assert decide(risk, "after-99") is None  # realised -99
    risk.state.on_order_event(fill_event(close.client_order_id, "100", "99", last="1", final=True))
    assert decide(risk, "after-100") == "DAILY_LOSS_LIMIT"  # realised -100
    tomorrow = later(24 * 3600)
    risk.state.on_session(session(ts=tomorrow))
    risk.state.on_quote(quote(ts=tomorrow))
    assert decide(risk, "tomorrow", at=tomorrow) is None


def test_a_signal_older_than_max_signal_age_is_never_traded() -> None:
    risk = engine(limits(max_signal_age_s=60, quote_max_age_s=120))
    assert decide(risk, "fresh", at=later(59), created_at=NOW) is None
    old = risk.decide(signal("old", created_at=NOW), later(61))
    assert isinstance(old, OrderRejected) and old.reason_code == "SIGNAL_TOO_OLD"
    assert "61s ago" in old.message and "backlog" in old.message


def test_trading_not_allowed_parks_orders_or_rejects_them_but_cancels_pass() -> None:
    risk = engine()
    risk.state.on_session(session(allowed=False, ts=later(1)))
    assert decide(risk, at=later(2)) == "parked"
    assert decide(risk, "unparked", at=later(2), park=False) == "TRADING_NOT_ALLOWED"
    cancel = risk.decide(CancelRequest(strategy_id="strat", signal_id="x"), later(2))
    assert isinstance(cancel, CancelOrder) and cancel.account == ACCOUNT


def test_no_session_state_means_no_trading_unless_configured() -> None:
    risk = engine(ready=False)
    risk.state.on_quote(quote())
    assert decide(risk, park=False) == "TRADING_NOT_ALLOWED"
    relaxed = engine(limits(require_session_state=False), ready=False)
    relaxed.state.on_quote(quote())
    assert decide(relaxed) is None


def test_a_session_verdict_for_every_account_applies_without_an_own_one() -> None:
    risk = engine(ready=False)
    risk.state.on_quote(quote())
    risk.state.on_session(session(allowed=True, account="*"))
    assert decide(risk) is None


def test_kill_switch_stops_orders_not_cancels_and_resume_lifts_it() -> None:
    risk = engine()
    assert risk.state.on_control(KillSwitch(account=ACCOUNT, reason="drill")) == [ACCOUNT]
    rejected = risk.decide(signal("a"), NOW)
    assert isinstance(rejected, OrderRejected) and "drill" in rejected.message
    assert isinstance(risk.decide(CancelRequest(strategy_id="s", signal_id="a"), NOW), CancelOrder)
    risk.state.on_control(Resume(account=ACCOUNT))
    assert decide(risk, "b") is None


def test_global_kill_switch_names_every_known_account_and_wins_over_account_resume() -> None:
    risk = engine({"accounts": {"DU222": {}}})
    assert decide(risk, "a") is None
    assert risk.state.on_control(KillSwitch()) == [ACCOUNT, "DU222"]
    risk.state.on_control(Resume(account=ACCOUNT))
    assert decide(risk, "b") == "KILL_SWITCH"
    risk.state.on_control(Resume())
    assert decide(risk, "c") is None


def test_without_any_account_a_signal_is_rejected() -> None:
    risk = engine()
    risk.default_account = None
    assert decide(risk) == "UNKNOWN_ACCOUNT"
    assert decide(risk, "named", account=ACCOUNT) is None


def test_cancel_goes_to_the_account_of_the_order_it_cancels() -> None:
    risk = engine()
    risk.state.on_session(session(account="DU999"))
    assert decide(risk, "x", account="DU999") is None
    cancel = risk.decide(CancelRequest(strategy_id="strat", signal_id="x", reason="r"), NOW)
    assert isinstance(cancel, CancelOrder)
    assert (cancel.account, cancel.client_order_id) == ("DU999", signal("x").client_order_id)


def test_the_allow_list_refuses_other_accounts_and_admits_the_default() -> None:
    risk = engine()
    risk.accounts = frozenset({ACCOUNT, "DU222"})
    risk.state.on_session(session(account="DU222"))
    risk.state.on_session(session(account="DU333"))
    assert decide(risk, "default") is None  # no account: the default, which is allowed
    assert decide(risk, "second", account="DU222") is None
    assert decide(risk, "outside", account="DU333") == "UNKNOWN_ACCOUNT"
