"""Order events into state, duplicates, limits resolution and the changelog round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto import (
    ApprovedOrder,
    KillSwitch,
    OrderBrokerRejected,
    OrderRejected,
    OrderSubmitting,
    PositionState,
    SignalDuplicate,
)
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.engine import RiskEngine
from sluice_risk.domain.limits import LimitBook, LimitsConfig
from sluice_risk.domain.market import instrument_key
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, later, quote, signal


def approve(risk: RiskEngine, signal_id: str, **fields: object) -> ApprovedOrder:
    decision = risk.decide(signal(signal_id, **fields), NOW)
    assert isinstance(decision, ApprovedOrder), decision
    return decision


def test_a_replayed_signal_is_a_duplicate_whatever_its_first_decision() -> None:
    risk = engine()
    first = approve(risk, "s1")
    again = risk.decide(signal("s1", quantity=Decimal(99)), later(5))
    assert isinstance(again, SignalDuplicate)
    assert (again.client_order_id, again.account) == (first.client_order_id, ACCOUNT)
    risk.decide(signal("big", quantity=Decimal(10**6)), NOW)  # rejected
    assert isinstance(risk.decide(signal("big"), NOW), SignalDuplicate)


def test_fills_are_booked_once_even_when_events_repeat_or_skip() -> None:
    risk = engine()
    order = approve(risk, "s1", quantity=Decimal(30))
    partial = fill_event(order.client_order_id, "10", "100")
    risk.state.on_order_event(partial)
    risk.state.on_order_event(partial)  # replayed
    # the 10 @ 102 fill event was lost; the final one still books 20 at the right price
    risk.state.on_order_event(
        fill_event(order.client_order_id, "30", "103", last="10", avg="102", final=True)
    )
    held = risk.state.portfolio.position(ACCOUNT, instrument_key(order.instrument))
    assert held is not None
    assert (held.quantity, held.avg_cost) == (Decimal(30), Decimal(102))
    assert risk.state.orders.open_orders(ACCOUNT) == []


def test_broker_rejection_closes_the_order() -> None:
    risk = engine()
    order = approve(risk, "s1")
    risk.state.on_order_event(
        OrderBrokerRejected(
            client_order_id=order.client_order_id, account=ACCOUNT, code=201, text="no"
        )
    )
    tracked = risk.state.orders.get(order.client_order_id)
    assert tracked is not None and tracked.status == "rejected"


def test_an_order_risk_did_not_decide_is_adopted_from_submitting() -> None:
    risk = engine()
    risk.state.on_order_event(
        OrderSubmitting(
            client_order_id="sl-foreign",
            account=ACCOUNT,
            symbol="AAPL",
            side="SELL",
            quantity=Decimal(5),
            order_type="MKT",
        )
    )
    assert [o.client_order_id for o in risk.state.orders.open_orders(ACCOUNT)] == ["sl-foreign"]
    risk.state.on_order_event(fill_event("sl-foreign", "5", "100", final=True))
    held = risk.state.portfolio.position(ACCOUNT, "STK:AAPL:USD")
    assert held is not None and held.quantity == Decimal(-5)


def test_an_adopted_order_keeps_the_instrument_it_carries() -> None:
    risk = engine()
    future = signal(
        "fut",
        symbol="ES",
        sec_type="FUT",
        last_trade_date_or_contract_month="202612",
        quantity=Decimal(2),
        limit_price=Decimal(100),
    )
    carried = engine(limits={"defaults": {"require_quote_for_limit": False}}).decide(future, NOW)
    assert isinstance(carried, ApprovedOrder)
    risk.state.on_order_event(
        OrderSubmitting(
            client_order_id=carried.client_order_id,
            account=ACCOUNT,
            symbol="ES",
            side="BUY",
            quantity=Decimal(2),
            order_type="MKT",
            order=carried,
        )
    )
    risk.state.on_order_event(fill_event(carried.client_order_id, "2", "5000", final=True))
    held = risk.state.portfolio.position(ACCOUNT, "FUT:ES:USD:expiry=202612")
    assert held is not None and held.quantity == Decimal(2)


def test_limits_resolve_defaults_symbol_account_and_account_symbol_in_order() -> None:
    book = LimitBook(
        LimitsConfig.model_validate(
            {
                "defaults": {"max_order_quantity": 100},
                "symbols": {"AAPL": {"max_order_quantity": 50, "max_position": 7}},
                "accounts": {
                    "DU2": {
                        "limits": {"max_order_quantity": 20},
                        "symbols": {"AAPL": {"max_order_quantity": 5}},
                    }
                },
            }
        )
    )
    assert book.for_order("DU1", "MSFT").max_order_quantity == 100
    assert book.for_order("DU1", "AAPL").max_order_quantity == 50
    assert book.for_order("DU2", "MSFT").max_order_quantity == 20
    assert book.for_order("DU2", "AAPL").max_order_quantity == 5
    assert book.for_order("DU2", "AAPL").max_position == 7


@pytest.mark.parametrize(
    "config",
    [
        {"defaults": {"max_order_qty": 1}},
        {"symbols": {"AAPL": {"max_position": -1}}},
        {"accounts": {"DU1": {"symbols": {"X": {"price_collar_bps": "wide"}}}}},
    ],
)
def test_bad_limits_fail_when_the_book_is_built(config: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"limits of account|unknown limit"):
        LimitBook(LimitsConfig.model_validate(config))


def test_the_changelog_restores_an_equal_state() -> None:
    risk = engine()
    order = approve(risk, "s1", quantity=Decimal(20))
    approve(risk, "s2")
    risk.decide(signal("s3", quantity=Decimal(10**6)), NOW)  # rejected, still seen
    risk.state.on_order_event(fill_event(order.client_order_id, "20", "99", final=True))
    risk.state.on_control(KillSwitch(account="DU333", reason="drill"))
    records = Changelog(risk.state, mark_interval_s=5).drain(NOW)
    assert risk.state.changes.orders == set()

    fresh = engine()
    for _key, record in records:
        restore(fresh.state, record)
    for signal_id in ("s1", "s2", "s3"):
        assert isinstance(fresh.decide(signal(signal_id), NOW), SignalDuplicate)
    assert fresh.state.kill_reason("DU333") == "drill"
    assert fresh.state.day_realised(ACCOUNT, NOW) == risk.state.day_realised(ACCOUNT, NOW)
    assert len(fresh.state.orders.open_orders(ACCOUNT)) == 1
    assert fresh.state.orders.approvals_since("strat", later(-1), 10) == 2
    positions = [r for _k, r in records if isinstance(r, PositionState)]
    assert [(p.quantity, p.avg_cost, p.unrealised_pnl) for p in positions] == [
        (Decimal(20), Decimal(99), Decimal(20))
    ]


def test_re_marks_are_written_at_most_once_per_interval() -> None:
    risk = engine()
    order = approve(risk, "s1")
    risk.state.on_order_event(fill_event(order.client_order_id, "10", "100", final=True))
    changelog = Changelog(risk.state, mark_interval_s=5)
    changelog.drain(NOW)
    risk.state.on_quote(quote(bid="101", ask="101", ts=later(1)))
    assert [r for _k, r in changelog.drain(later(1)) if isinstance(r, PositionState)] != []
    risk.state.on_quote(quote(bid="102", ask="102", ts=later(2)))
    assert changelog.drain(later(2)) == []
    marked = changelog.drain(later(6.5))
    assert [r.unrealised_pnl for _k, r in marked if isinstance(r, PositionState)] == [Decimal(20)]


def test_risks_own_rejection_coming_back_changes_nothing() -> None:
    risk = engine()
    rejected = risk.decide(signal("big", quantity=Decimal(10**6)), NOW)
    Changelog(risk.state, mark_interval_s=5).drain(NOW)
    assert isinstance(rejected, OrderRejected)
    risk.state.on_order_event(rejected)
    assert risk.state.changes.orders == set()
