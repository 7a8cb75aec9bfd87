"""Amends (``ModifyRequest``): each revision decided once, judged as the order it would become."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_proto import (
    AmendOrder,
    ApprovedOrder,
    KillSwitch,
    ModifyRequest,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
)
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.engine import Decision, RiskEngine
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, later, signal


def modify(revision: int = 1, signal_id: str = "s1", **changes: Any) -> ModifyRequest:
    return ModifyRequest(strategy_id="strat", signal_id=signal_id, revision=revision, **changes)


def approve(risk: RiskEngine, signal_id: str = "s1", **fields: Any) -> ApprovedOrder:
    decision = risk.decide(signal(signal_id, **fields), NOW)
    assert isinstance(decision, ApprovedOrder), decision
    return decision


def code(decision: Decision) -> str | None:
    if isinstance(decision, OrderAmendRejected):
        return decision.reason_code
    assert isinstance(decision, AmendOrder), decision
    return None


def test_an_amend_of_a_working_order_goes_to_its_account_with_only_the_changes() -> None:
    risk = engine()
    approve(risk)
    decision = risk.decide(modify(limit_price=Decimal("100.05")), later(1))
    assert isinstance(decision, AmendOrder)
    assert (decision.account, decision.revision) == (ACCOUNT, 1)
    assert (decision.limit_price, decision.quantity, decision.tif) == (
        Decimal("100.05"),
        None,
        None,
    )
    assert decision.client_order_id == signal().client_order_id


def test_a_replayed_or_older_revision_never_amends_twice() -> None:
    risk = engine()
    approve(risk)
    assert code(risk.decide(modify(1, limit_price=Decimal("100.05")), NOW)) is None
    assert code(risk.decide(modify(1, limit_price=Decimal("100.05")), NOW)) == "STALE_REVISION"
    assert code(risk.decide(modify(3, limit_price=Decimal("100.02")), NOW)) is None
    assert code(risk.decide(modify(2, limit_price=Decimal("100.03")), NOW)) == "STALE_REVISION"


def test_the_revision_survives_a_restart_from_the_changelog() -> None:
    risk = engine()
    approve(risk)
    assert code(risk.decide(modify(2, quantity=Decimal(12)), NOW)) is None
    restarted = engine()
    for _, record in Changelog(risk.state, 60).drain(NOW):
        restore(restarted.state, record)
    assert code(restarted.decide(modify(2, quantity=Decimal(12)), NOW)) == "STALE_REVISION"
    assert code(restarted.decide(modify(3, quantity=Decimal(12)), NOW)) is None


def test_the_amended_order_is_checked_again_by_its_new_terms() -> None:
    risk = engine({"defaults": {"max_order_quantity": 20, "price_collar_bps": 100}})
    approve(risk)
    assert code(risk.decide(modify(1, quantity=Decimal(21)), NOW)) == "MAX_ORDER_QUANTITY"
    assert code(risk.decide(modify(2, limit_price=Decimal(150)), NOW)) == "PRICE_COLLAR"
    assert code(risk.decide(modify(3, quantity=Decimal(20)), NOW)) is None


def test_the_order_itself_does_not_count_against_the_amend() -> None:
    # one open order allowed, 1500 of exposure: the order's own 1000 is replaced, not added
    risk = engine({"defaults": {"max_open_orders": 1, "max_gross_exposure": 1500}})
    approve(risk)
    assert code(risk.decide(modify(1, quantity=Decimal(15)), NOW)) is None
    assert code(risk.decide(modify(2, quantity=Decimal(16)), NOW)) == "MAX_GROSS_EXPOSURE"


def test_the_order_rate_does_not_apply_to_amends() -> None:
    risk = engine({"defaults": {"max_orders_per_window": 1}})
    approve(risk)
    assert code(risk.decide(modify(1, limit_price=Decimal("100.01")), NOW)) is None


def test_a_kill_switch_refuses_amends() -> None:
    risk = engine()
    approve(risk)
    risk.state.on_control(KillSwitch(account=ACCOUNT, reason="drill"))
    assert code(risk.decide(modify(limit_price=Decimal("100.01")), NOW)) == "KILL_SWITCH"


def test_unknown_final_and_underfilled_orders_are_not_amended() -> None:
    risk = engine()
    assert code(risk.decide(modify(signal_id="nobody", quantity=Decimal(5)), NOW)) == (
        "UNKNOWN_ORDER"
    )
    approve(risk)
    coid = signal().client_order_id
    risk.state.on_order_event(fill_event(coid, "6", "100"))
    assert code(risk.decide(modify(1, quantity=Decimal(6)), NOW)) == "INVALID_ORDER"
    risk.state.on_order_event(OrderCancelled(client_order_id=coid, account=ACCOUNT))
    assert code(risk.decide(modify(2, quantity=Decimal(8)), NOW)) == "ORDER_NOT_WORKING"


def test_a_partly_filled_order_is_judged_by_what_would_still_work() -> None:
    risk = engine({"defaults": {"max_order_quantity": 10}})
    approve(risk)
    risk.state.on_order_event(fill_event(signal().client_order_id, "6", "100"))
    # 16 in all, 10 still to work: within the limit
    assert code(risk.decide(modify(1, quantity=Decimal(16)), NOW)) is None


def test_an_amend_ibkr_took_changes_the_order_risk_counts() -> None:
    risk = engine({"defaults": {"max_position": 30}})
    approve(risk)  # 10 working
    coid = signal().client_order_id
    amended = OrderAmended(
        client_order_id=coid, account=ACCOUNT, revision=1, quantity=Decimal(25),
        limit_price=Decimal("99.5"),
    )  # fmt: skip
    risk.state.on_order_event(amended)
    order = risk.state.orders.get(coid)
    assert order is not None
    assert (order.quantity, order.limit_price, order.revision) == (Decimal(25), Decimal("99.5"), 1)
    assert code(risk.decide(modify(1, quantity=Decimal(5)), NOW)) == "STALE_REVISION"
    another = risk.decide(signal("s2", quantity=Decimal(6)), NOW)  # 25 + 6 > 30
    assert not isinstance(another, ApprovedOrder)
