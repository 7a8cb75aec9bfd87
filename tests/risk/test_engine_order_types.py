"""Risk on the newer order types: brackets and OCA groups count their worst case, each child of
a bracket is checked, trailing and at-the-close orders are valued like any other."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sluice_proto import ApprovedOrder, OrderCancelled, OrderRejected
from sluice_proto.order_terms import child_order_id
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.deferrals import DeferralPolicy
from sluice_risk.domain.engine import RiskEngine
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, signal

D = Decimal
BRACKET: dict[str, Any] = {"take_profit": D(110), "stop_loss": D(95)}


def approve(risk: RiskEngine, signal_id: str, **fields: Any) -> ApprovedOrder:
    decision = risk.decide(signal(signal_id, **fields), NOW)
    assert isinstance(decision, ApprovedOrder), decision
    return decision


def refusal(risk: RiskEngine, signal_id: str, **fields: Any) -> str:
    decision = risk.decide(signal(signal_id, **fields), NOW)
    assert isinstance(decision, OrderRejected), decision
    return decision.reason_code


def exposed(risk: RiskEngine) -> Decimal:
    return risk.exposure(ACCOUNT)[0]


def test_a_bracket_is_approved_whole_and_its_children_are_working_orders() -> None:
    risk = engine()
    order = approve(risk, "b", **BRACKET)
    assert (order.take_profit, order.stop_loss) == (D(110), D(95))
    children = [
        risk.state.orders.get(child_order_id(order.client_order_id, r)) for r in ("tp", "sl")
    ]
    assert [(c.side, c.limit_price, c.status) for c in children if c] == [
        ("SELL", D(110), "open"),
        ("SELL", D(95), "open"),
    ]
    assert len(risk.state.orders.open_orders(ACCOUNT)) == 3


def test_a_brackets_exposure_is_its_parents_at_every_step() -> None:
    risk = engine()
    parent = approve(risk, "b", **BRACKET).client_order_id
    tp, sl = child_order_id(parent, "tp"), child_order_id(parent, "sl")
    assert exposed(risk) == D(1000)  # 10 x 100 to buy; the children only close it

    risk.state.on_order_event(fill_event(parent, "10", "100", final=True))
    assert exposed(risk) == D(1000)  # held at the 100 mark; the children add nothing

    risk.state.on_order_event(fill_event(tp, "10", "110", final=True, exec_id="e2"))
    assert exposed(risk) == D(0)  # flat; the stop-loss is still working until the venue says

    risk.state.on_order_event(OrderCancelled(client_order_id=sl, account=ACCOUNT))
    assert exposed(risk) == D(0)
    assert risk.state.orders.open_orders(ACCOUNT) == []
    assert risk.exposure(ACCOUNT) == (D(0), [])


def test_the_gross_exposure_limit_counts_a_bracket_once() -> None:
    risk = engine({"defaults": {"max_gross_exposure": 2000}})
    approve(risk, "b", **BRACKET)  # 1000, not 1000 + 1100 + 950
    approve(risk, "fits", quantity=D(10))  # 2000 in all
    assert refusal(risk, "over", quantity=D(1)) == "MAX_GROSS_EXPOSURE"


def test_an_oca_group_counts_its_largest_member() -> None:
    risk = engine({"defaults": {"max_gross_exposure": 2000}})
    approve(risk, "a", quantity=D(10), oca_group="g")
    approve(risk, "b", quantity=D(15), oca_group="g")  # 1500: only one of the two fills
    assert exposed(risk) == D(1500)
    approve(risk, "c", quantity=D(5))
    assert exposed(risk) == D(2000)
    assert refusal(risk, "d", quantity=D(1), oca_group="h") == "MAX_GROSS_EXPOSURE"


def test_an_oca_group_counts_its_largest_member_towards_the_position() -> None:
    risk = engine({"defaults": {"max_position": 20}})
    approve(risk, "a", quantity=D(15), oca_group="g")
    approve(risk, "b", quantity=D(15), oca_group="g")  # 15 may fill, not 30
    assert refusal(risk, "c", quantity=D(6)) == "MAX_POSITION"
    approve(risk, "d", quantity=D(5))


def test_each_child_of_a_bracket_is_checked_at_its_own_price() -> None:
    risk = engine({"defaults": {"max_order_notional": 1050, "price_collar_bps": 5000}})
    assert refusal(risk, "tp", **BRACKET) == "MAX_ORDER_NOTIONAL"  # take-profit: 10 x 110
    approve(risk, "sl", stop_loss=D(95))  # 950 and 1000 fit


def test_a_bracket_counts_every_leg_towards_open_orders() -> None:
    risk = engine({"defaults": {"max_open_orders": 3}})
    approve(risk, "plain")
    assert refusal(risk, "b", **BRACKET) == "MAX_OPEN_ORDERS"  # 1 + 3 > 3
    assert approve(risk, "b2", take_profit=D(110)).take_profit == D(110)  # 1 + 2


def test_trailing_and_at_the_close_orders_are_valued_like_any_order() -> None:
    risk = engine({"defaults": {"max_order_notional": 1005}})
    trail: dict[str, Any] = {"order_type": "TRAIL", "limit_price": None, "side": "SELL"}
    assert refusal(risk, "t1", **trail, trailing_amount=D(1), trail_stop_price=D(101)) == (
        "MAX_ORDER_NOTIONAL"
    )  # 10 x 101: its starting stop
    approve(risk, "t2", **trail, trailing_percent=D(1))  # at the 100 mid
    approve(risk, "moc", order_type="MOC", limit_price=None)
    approve(risk, "loc", order_type="LOC", limit_price=D("100.5"))
    order = approve(risk, "tl", **{**trail, "order_type": "TRAIL_LIMIT"}, trailing_amount=D(1),
                    limit_price_offset=D("0.1"))  # fmt: skip
    assert (order.order_type, order.trailing_amount, order.limit_price_offset) == (
        "TRAIL_LIMIT",
        D(1),
        D("0.1"),
    )


def test_a_restart_keeps_the_children_out_of_the_exposure() -> None:
    risk = engine()
    approve(risk, "b", **BRACKET)
    fresh = engine()
    for _, record in Changelog(risk.state, 1.0).drain(NOW):
        restore(fresh.state, record)
    assert exposed(fresh) == D(1000)


def test_a_gtd_signal_is_never_sent_after_its_good_till() -> None:
    policy = DeferralPolicy()
    soon = NOW + timedelta(hours=1)
    assert policy.expires_at(signal(tif="GTD", good_till=soon), NOW) == soon
    far = NOW + timedelta(days=30)
    assert policy.expires_at(signal(tif="GTD", good_till=far), NOW) == NOW + timedelta(days=7)
