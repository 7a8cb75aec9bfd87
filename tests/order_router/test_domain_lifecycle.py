"""Order tracker, journal replay and the reconcile rule, without I/O."""

from __future__ import annotations

from decimal import Decimal

from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.reconcile import reconcile
from sluice_order_router.domain.states import can_move
from sluice_order_router.domain.sync import apply_broker
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import track
from sluice_proto import ApprovedOrder, Fill, Instrument
from sluice_proto.orders import (
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderHeld,
    OrderPartiallyFilled,
    OrderSubmitted,
    OrderSubmitting,
)


def order(coid: str = "c1", qty: int = 10) -> ApprovedOrder:
    return ApprovedOrder(
        client_order_id=coid,
        strategy_id="s",
        signal_id=coid,
        account="DU1",
        instrument=Instrument(symbol="AAPL"),
        side="BUY",
        quantity=Decimal(qty),
        order_type="MKT",
    )


def fill(exec_id: str, qty: int, price: str) -> Fill:
    return Fill(exec_id=exec_id, quantity=Decimal(qty), price=Decimal(price))


def broker(coid: str = "c1", status: str = "accepted") -> BrokerOrder:
    return BrokerOrder(coid, 7, 9007, status)  # type: ignore[arg-type]


def submitting(o: ApprovedOrder, attempt: int = 1) -> OrderSubmitting:
    return OrderSubmitting(
        client_order_id=o.client_order_id,
        account=o.account,
        side=o.side,
        quantity=o.quantity,
        order_type=o.order_type,
        attempt=attempt,
        order=o,
    )


def test_states_never_go_backwards_or_leave_a_final_state() -> None:
    assert can_move("submitting", "acknowledged")
    assert can_move("partial", "cancelled")
    assert not can_move("partial", "working")
    assert not can_move("filled", "cancelled")
    assert not can_move("acknowledged", "submitting")


def test_fills_are_counted_once_and_complete_the_order() -> None:
    record = track(order(qty=10), "submitting")
    events = apply_broker(record, broker(), [fill("e1", 4, "100"), fill("e1", 4, "100")])
    assert [type(e) for e in events] == [OrderSubmitted, OrderAccepted, OrderPartiallyFilled]
    last = record.add_fill(fill("e2", 6, "101"))
    assert isinstance(last[0], OrderFilled)
    assert last[0].filled_quantity == 10
    assert last[0].avg_fill_price == Decimal("100.6")
    assert record.state == "filled"
    assert record.add_fill(fill("e2", 6, "101")) == []


def test_broker_rejection_carries_code_and_text() -> None:
    record = track(order(), "submitting")
    events = apply_broker(record, broker(status="rejected"), error_code=201, error_text="read-only")
    rejected = events[-1]
    assert isinstance(rejected, OrderBrokerRejected)
    assert (rejected.code, rejected.text) == (201, "read-only")
    assert record.terminal


def test_journal_replay_rebuilds_state_and_ignores_duplicates() -> None:
    orders = TrackedOrders()
    o = order()
    journal: list[OrderEvent] = [
        submitting(o),
        OrderSubmitted(client_order_id="c1", account="DU1", broker_order_id=7),
        OrderAccepted(client_order_id="c1", account="DU1", broker_order_id=7),
        submitting(o, attempt=2),  # a stale write-ahead record must not move it back
        OrderPartiallyFilled(
            client_order_id="c1",
            account="DU1",
            fill=fill("e1", 3, "10"),
            filled_quantity=Decimal(3),
            remaining_quantity=Decimal(7),
            avg_fill_price=Decimal(10),
        ),
    ]
    for event in journal:
        orders.replay(event)
    record = orders.get("c1")
    assert record is not None
    assert record.state == "partial"
    assert record.filled == 3
    assert record.broker_order_id == 7
    assert orders.pending() == []


def test_reconcile_adopts_what_ibkr_has_and_sends_the_rest_once() -> None:
    orders = TrackedOrders()
    for coid in ("at-ibkr", "lost", "held"):
        orders.replay(submitting(order(coid)))
    orders.replay(
        OrderHeld(client_order_id="held", account="DU1", reason="down", order=order("held"))
    )
    orders.replay(OrderCancelled(client_order_id="held", account="DU1"))  # withdrawn
    snapshot = BrokerSnapshot(
        orders={"at-ibkr": broker("at-ibkr", "filled"), "stranger": broker("stranger")},
        fills={"at-ibkr": [fill("e9", 10, "5")]},
    )
    plan = reconcile(orders, snapshot)
    assert [r.client_order_id for r in plan.to_send] == ["lost"]
    adopted = plan.events[0]
    assert isinstance(adopted, OrderSubmitted) and adopted.adopted
    assert isinstance(plan.events[-1], OrderFilled)
    assert reconcile(orders, snapshot).events == []  # a second pass has nothing new
