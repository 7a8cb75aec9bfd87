"""Amends in the router's domain: refusals, the write-ahead record and its replay, settling."""

from __future__ import annotations

from decimal import Decimal

from sluice_order_router.domain import amends
from sluice_order_router.domain.broker import BrokerOrder
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import TrackedOrder, track
from sluice_proto import AmendOrder, ApprovedOrder, Instrument
from sluice_proto.orders import (
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderHeld,
    OrderSubmitting,
)


def order(coid: str = "c1") -> ApprovedOrder:
    return ApprovedOrder(
        client_order_id=coid, strategy_id="s", signal_id=coid, account="DU1",
        instrument=Instrument(symbol="AAPL"), side="BUY", quantity=Decimal(10),
        order_type="LMT", limit_price=Decimal(1),
    )  # fmt: skip


def command(revision: int = 1, **changes: object) -> AmendOrder:
    return AmendOrder(client_order_id="c1", account="DU1", revision=revision, **changes)  # type: ignore[arg-type]


def working() -> TrackedOrder:
    record = track(order(), "working")
    record.broker_order_id = 7
    return record


def test_only_a_working_order_with_a_new_revision_is_amended() -> None:
    assert amends.refusal(None, command()) is not None
    record = working()
    assert amends.refusal(record, command()) is None
    amends.submitting(record, command(limit_price=Decimal(2)))
    stale = amends.refusal(record, command(1))
    assert stale is not None and stale[0] == "STALE_REVISION"
    pending = amends.refusal(record, command(2))  # one amend at a time
    assert pending is not None and pending[0] == "ORDER_NOT_WORKING"
    record.move("filled")
    final = amends.refusal(record, command(3))
    assert final is not None and final[0] == "ORDER_NOT_WORKING"


def test_an_amend_changes_only_the_fields_it_names_and_is_confirmed_once() -> None:
    record = working()
    ahead = amends.submitting(record, command(quantity=Decimal(12)))
    assert ahead.order is not None
    assert (ahead.order.quantity, ahead.order.limit_price) == (Decimal(12), Decimal(1))
    [confirmed] = amends.confirmed(record)
    assert isinstance(confirmed, OrderAmended)
    assert (confirmed.quantity, confirmed.limit_price, confirmed.broker_order_id) == (
        Decimal(12),
        Decimal(1),
        7,
    )
    assert record.quantity == Decimal(12) and record.order == ahead.order
    assert amends.confirmed(record) == []  # nothing pending any more


def test_a_refused_amend_leaves_the_order_as_it_was() -> None:
    record = working()
    amends.submitting(record, command(limit_price=Decimal(2)))
    [rejected] = amends.rejected(record, ("BROKER_REJECTED", "filled"), "broker", 104)
    assert isinstance(rejected, OrderAmendRejected) and rejected.code == 104
    assert record.order is not None and record.order.limit_price == Decimal(1)
    assert record.amending is None and record.revision == 1


def test_the_journal_replays_a_pending_amend_and_its_outcome() -> None:
    orders = TrackedOrders()
    orders.replay(OrderHeld(client_order_id="c1", account="DU1", reason="down", order=order()))
    record = orders.get("c1")
    assert record is not None
    ahead = amends.submitting(track(order(), "working"), command(limit_price=Decimal(2)))
    orders.replay(ahead)
    assert record.amending == ahead.order and record.revision == 1  # a restart settles it
    again = OrderAmendSubmitting(client_order_id="c1", account="DU1", revision=1, order=order())
    orders.replay(again)  # a replay of the same revision changes nothing
    stale = amends.refused(record, command(1), ("STALE_REVISION", "replayed"))
    orders.replay(stale)  # nor does the router's refusal of a replayed command
    assert record.amending == ahead.order
    confirmed = OrderAmended(client_order_id="c1", account="DU1", revision=1, order=ahead.order)
    orders.replay(confirmed)
    assert record.order == ahead.order and record.amending is None


def test_the_journal_replays_ibkrs_refusal_of_the_pending_amend() -> None:
    orders = TrackedOrders()
    orders.replay(OrderHeld(client_order_id="c1", account="DU1", reason="down", order=order()))
    record = orders.get("c1")
    assert record is not None
    orders.replay(amends.submitting(track(order(), "working"), command(limit_price=Decimal(2))))
    [refused] = amends.rejected(working_with_amend(), ("BROKER_REJECTED", "filled"), "broker")
    orders.replay(refused)
    assert record.amending is None and record.revision == 1
    assert record.order is not None and record.order.limit_price == Decimal(1)


def working_with_amend() -> TrackedOrder:
    record = working()
    amends.submitting(record, command(limit_price=Decimal(2)))
    return record


def test_ibkrs_view_shows_whether_the_amend_was_taken() -> None:
    amended = amends.amended(order(), command(limit_price=Decimal(2)))
    shown = BrokerOrder("c1", 7, None, "accepted", quantity=Decimal(10), limit_price=Decimal(2))
    old = BrokerOrder("c1", 7, None, "accepted", quantity=Decimal(10), limit_price=Decimal(1))
    silent = BrokerOrder("c1", 7, None, "accepted")
    assert amends.in_force(shown, amended)
    assert not amends.in_force(old, amended)
    assert not amends.in_force(silent, amended)


def test_the_journal_keeps_the_contract_the_order_was_sent_on_for_its_amends() -> None:
    orders = TrackedOrders()
    sent_on = Instrument(symbol="AAPL", con_id=265598)
    orders.replay(
        OrderSubmitting(
            client_order_id="c1", account="DU1", side="BUY", quantity=Decimal(10),
            order_type="LMT", order=order(), contract=sent_on,
        )
    )  # fmt: skip
    record = orders.get("c1")
    assert record is not None and record.contract == sent_on
