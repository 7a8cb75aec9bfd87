"""IBKR's daily restart in the pure domain: order ids never reused, absence judged by the day."""

from __future__ import annotations

from decimal import Decimal

from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.order_ids import OrderIdLease, OrderIds
from sluice_order_router.domain.reconcile import reconcile
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import TrackedOrder
from sluice_proto import ApprovedOrder, Instrument
from sluice_proto.orders import (
    OrderAccepted,
    OrderHeld,
    OrderSubmitted,
    OrderSubmitting,
)


def _order(coid: str) -> ApprovedOrder:
    return ApprovedOrder(
        client_order_id=coid, strategy_id="s", signal_id=coid, account="DU1",
        instrument=Instrument(symbol="AAPL"), side="BUY", quantity=Decimal(1), order_type="MKT",
    )  # fmt: skip


def _submitting(coid: str, order_id: int | None, floor: int | None = None) -> OrderSubmitting:
    return OrderSubmitting(
        client_order_id=coid, account="DU1", side="BUY", quantity=Decimal(1), order_type="MKT",
        order=_order(coid), broker_order_id=order_id, ibkr_floor=floor,
    )  # fmt: skip


def _journal(
    *events: OrderSubmitting | OrderSubmitted | OrderAccepted | OrderHeld,
) -> TrackedOrders:
    orders = TrackedOrders()
    for event in events:
        orders.replay(event)
    return orders


def _ids(records: list[TrackedOrder]) -> list[str]:
    return [r.client_order_id for r in records]


def test_the_journal_keeps_the_highest_order_id_sent() -> None:
    orders = _journal(_submitting("a", 7), _submitting("b", 9), _submitting("a", 12))
    assert orders.high_water == 12
    assert _journal(_submitting("old", None)).high_water == 0  # written before ids were kept


def test_a_rolled_back_next_valid_id_is_overruled() -> None:
    ids = OrderIds()
    ids.sent(40)
    assert ids.connected(1) == 41  # never an id at or below one already sent
    assert ids.lease(3).order_id == 41 and ids.lease(50).order_id == 50


def test_the_floor_is_nextvalidid_raised_past_every_acknowledged_id() -> None:
    ids = OrderIds()
    ids.connected(5)
    assert ids.lease(5) == OrderIdLease(5, 5)
    ids.acknowledged(5)
    lost = ids.lease(9)  # ids 6..8 went to requests: IBKR does not count them
    assert lost == OrderIdLease(9, 6)
    assert ids.connected(6) == 10 and ids.next_valid_id == 6  # lost on the way: same day


def test_an_order_in_doubt_absent_on_the_same_day_is_sent_once() -> None:
    orders = _journal(_submitting("lost", 9, floor=6))
    plan = reconcile(orders, BrokerSnapshot(next_valid_id=6))
    assert _ids(plan.to_send) == ["lost"] and plan.unknown == []


def test_an_order_in_doubt_sent_before_the_rollover_is_unknown_not_resent() -> None:
    orders = _journal(_submitting("before", 9, floor=6))
    plan = reconcile(orders, BrokerSnapshot(next_valid_id=1))
    assert plan.to_send == [] and _ids(plan.unknown) == ["before"]
    later_day = BrokerSnapshot(next_valid_id=40)  # IBKR's new day moved on: still unknown
    assert _ids(reconcile(orders, later_day).unknown) == ["before"]


def test_the_unknown_verdict_outlives_the_router() -> None:
    verdict = OrderHeld(
        client_order_id="before", account="DU1", reason="unknown", order=_order("before"),
        unknown=True,
    )  # fmt: skip
    orders = _journal(_submitting("before", 9, floor=6), verdict)
    plan = reconcile(orders, BrokerSnapshot(next_valid_id=40))
    assert plan.to_send == [] and _ids(plan.unknown) == ["before"]


def test_an_order_sent_after_the_rollover_is_judged_as_usual() -> None:
    orders = _journal(_submitting("before", 9, floor=6), _submitting("after", 10, floor=1))
    plan = reconcile(orders, BrokerSnapshot(next_valid_id=1))
    assert _ids(plan.to_send) == ["after"] and _ids(plan.unknown) == ["before"]


def test_a_held_order_never_sent_is_sent_whatever_the_day() -> None:
    held = OrderHeld(client_order_id="held", account="DU1", reason="down", order=_order("held"))
    plan = reconcile(_journal(held), BrokerSnapshot(next_valid_id=1))
    assert _ids(plan.to_send) == ["held"] and plan.unknown == []


def test_an_acknowledged_order_absent_from_ibkr_is_unknown_never_resent() -> None:
    orders = _journal(
        _submitting("acked", 5),
        OrderSubmitted(client_order_id="acked", account="DU1", broker_order_id=5),
        _submitting("working", 6),
        OrderSubmitted(client_order_id="working", account="DU1", broker_order_id=6),
        OrderAccepted(client_order_id="working", account="DU1", broker_order_id=6),
    )
    plan = reconcile(orders, BrokerSnapshot())  # no rollover seen: absence still proves nothing
    assert plan.to_send == [] and plan.events == []
    assert _ids(plan.unknown) == ["acked", "working"]


def test_an_unknown_order_found_later_is_settled_by_what_ibkr_says() -> None:
    orders = _journal(_submitting("before", 9, floor=6))
    assert _ids(reconcile(orders, BrokerSnapshot(next_valid_id=1)).unknown) == ["before"]
    found = BrokerSnapshot(
        orders={"before": BrokerOrder("before", 9, 77, "accepted")}, next_valid_id=1
    )
    plan = reconcile(orders, found)
    assert plan.unknown == [] and plan.to_send == []
    adopted = plan.events[0]
    assert isinstance(adopted, OrderSubmitted) and adopted.adopted
