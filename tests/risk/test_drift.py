"""Broker truth in risk: the drift comparison (pure), the halt, accepting the broker's figures,
and foreign open orders counted toward exposure."""

from __future__ import annotations

from decimal import Decimal

from sluice_proto import (
    AcceptBroker,
    ApprovedOrder,
    BrokerOpenOrder,
    BrokerPosition,
    BrokerTruth,
    Instrument,
    OrderRejected,
    OrderSubmitting,
)
from sluice_proto.risk_state import PositionDrift, RiskAccountState
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.drift import compare, confirmed
from sluice_risk.domain.engine import RiskEngine
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, signal

AAPL = Instrument(symbol="AAPL")
AAPL_NASDAQ = Instrument(symbol="AAPL", exchange="NASDAQ", con_id=265598)
SPY = Instrument(symbol="SPY")


def _none(_: Instrument) -> Decimal:
    return Decimal(0)


def held(instrument: Instrument, quantity: int) -> BrokerPosition:
    return BrokerPosition(instrument=instrument, quantity=Decimal(quantity))


def truth(*positions: BrokerPosition, orders: tuple[BrokerOpenOrder, ...] = ()) -> BrokerTruth:
    return BrokerTruth(account=ACCOUNT, positions=list(positions), open_orders=list(orders), ts=NOW)


def test_equal_books_do_not_drift_whatever_the_exchange() -> None:
    book = {"STK:AAPL:USD": (AAPL, Decimal(10))}
    assert compare(book, [held(AAPL_NASDAQ, 10)], _none) == []


def test_a_difference_either_side_is_a_drift_sorted_by_instrument() -> None:
    book = {"STK:AAPL:USD": (AAPL, Decimal(10)), "STK:SPY:USD": (SPY, Decimal(5))}
    drift = compare(book, [held(AAPL_NASDAQ, 7), held(Instrument(symbol="MSFT"), 3)], _none)
    assert [(d.instrument.symbol, d.book, d.broker) for d in drift] == [
        ("AAPL", Decimal(10), Decimal(7)),
        ("MSFT", Decimal(0), Decimal(3)),
        ("SPY", Decimal(5), Decimal(0)),
    ]


def test_a_difference_within_the_tolerance_is_not_a_drift() -> None:
    book = {"STK:AAPL:USD": (AAPL, Decimal(10))}
    assert compare(book, [held(AAPL, 12)], lambda _: Decimal(2)) == []
    assert len(compare(book, [held(AAPL, 13)], lambda _: Decimal(2))) == 1


def test_only_a_drift_of_the_same_size_twice_running_is_confirmed() -> None:
    first = [PositionDrift(instrument=AAPL, book=Decimal(0), broker=Decimal(10))]
    raced = [PositionDrift(instrument=AAPL, book=Decimal(0), broker=Decimal(20))]
    # both sides moved by a fill of Sluice's own: the same drift
    moved = [PositionDrift(instrument=AAPL_NASDAQ, book=Decimal(5), broker=Decimal(15))]
    assert confirmed([], first) == []
    assert confirmed(first, raced) == []
    assert confirmed(first, moved) == moved


def drifted(risk: RiskEngine) -> None:
    """The broker shows 100 AAPL risk never bought, twice running."""
    risk.state.on_truth(truth(held(AAPL, 100)))
    assert risk.state.drift_halt(ACCOUNT) is None  # one snapshot may race a fill
    risk.state.on_truth(truth(held(AAPL, 100)))


def test_a_confirmed_drift_halts_new_orders_until_the_broker_is_accepted() -> None:
    risk = engine()
    drifted(risk)
    refused = risk.decide(signal("s1"), NOW)
    assert isinstance(refused, OrderRejected)
    assert refused.reason_code == "POSITION_DRIFT"
    assert "AAPL: book 0, broker 100" in refused.message

    risk.state.on_truth(truth(held(AAPL, 0)))  # gone again: the operator still decides
    assert risk.state.drift_halt(ACCOUNT) is not None

    risk.state.on_truth(truth(held(AAPL, 100)))
    risk.state.on_accept(AcceptBroker(account=ACCOUNT, operator="ops"))
    assert risk.state.drift_halt(ACCOUNT) is None
    position = risk.state.portfolio.position(ACCOUNT, "STK:AAPL:USD")
    assert position is not None and position.quantity == Decimal(100)
    assert isinstance(risk.decide(signal("s2"), NOW), ApprovedOrder)
    risk.state.on_truth(truth(held(AAPL, 100)))
    risk.state.on_truth(truth(held(AAPL, 100)))
    assert risk.state.drift_halt(ACCOUNT) is None


def test_accepting_flattens_what_the_broker_does_not_hold() -> None:
    risk = engine()
    order = risk.decide(signal("s1"), NOW)
    assert isinstance(order, ApprovedOrder)
    risk.state.on_order_event(fill_event(order.client_order_id, "10", "100", final=True))
    risk.state.on_truth(truth())
    risk.state.on_truth(truth())
    assert risk.state.drift_halt(ACCOUNT) == [
        PositionDrift(instrument=AAPL, book=Decimal(10), broker=Decimal(0))
    ]
    risk.state.on_accept(AcceptBroker(account="*"))
    position = risk.state.portfolio.position(ACCOUNT, "STK:AAPL:USD")
    assert position is not None and position.quantity == 0


def test_the_halt_survives_a_restart_through_the_changelog() -> None:
    risk = engine()
    drifted(risk)
    records = Changelog(risk.state, mark_interval_s=5).drain(NOW)
    [account] = [r for _k, r in records if isinstance(r, RiskAccountState)]
    assert [d.broker for d in account.drift] == [Decimal(100)]

    fresh = engine()
    for _key, record in records:
        restore(fresh.state, record)
    refused = fresh.decide(signal("s1"), NOW)
    assert isinstance(refused, OrderRejected) and refused.reason_code == "POSITION_DRIFT"


def manual(side: str, quantity: int, *, ref: str = "") -> BrokerOpenOrder:
    return BrokerOpenOrder(
        broker_order_id="9", instrument=AAPL, side=side,  # type: ignore[arg-type]
        remaining_quantity=Decimal(quantity), order_ref=ref, client_id=0, limit_price=Decimal(90),
    )  # fmt: skip


def test_foreign_open_orders_count_toward_the_position_limit() -> None:
    risk = engine({"defaults": {"max_position": 100}})
    risk.state.on_truth(truth(orders=(manual("BUY", 95),)))
    refused = risk.decide(signal("s1", quantity=Decimal(10)), NOW)
    assert isinstance(refused, OrderRejected) and refused.reason_code == "MAX_POSITION"
    assert "105" in refused.message
    # a sell is the other side: it is not made worse by a resting buy
    assert isinstance(risk.decide(signal("s2", side="SELL"), NOW), ApprovedOrder)


def test_foreign_open_orders_count_toward_gross_exposure_and_open_orders() -> None:
    risk = engine({"defaults": {"max_gross_exposure": 10_000, "max_open_orders": 2}})
    risk.state.on_truth(truth(orders=(manual("SELL", 100),)))  # 100 x 90 = 9,000
    refused = risk.decide(signal("s1", quantity=Decimal(20)), NOW)  # + 2,000
    assert isinstance(refused, OrderRejected) and refused.reason_code == "MAX_GROSS_EXPOSURE"

    risk = engine({"defaults": {"max_open_orders": 2}})
    risk.state.on_truth(truth(orders=(manual("SELL", 1), manual("SELL", 1))))
    refused = risk.decide(signal("s1"), NOW)
    assert isinstance(refused, OrderRejected) and refused.reason_code == "MAX_OPEN_ORDERS"


def test_sluices_own_open_orders_at_the_broker_are_not_counted_twice() -> None:
    risk = engine({"defaults": {"max_position": 100}})
    first = risk.decide(signal("s1", quantity=Decimal(60)), NOW)
    assert isinstance(first, ApprovedOrder)
    risk.state.on_truth(truth(orders=(manual("BUY", 60, ref=first.client_order_id),)))
    assert isinstance(risk.decide(signal("s2", quantity=Decimal(40)), NOW), ApprovedOrder)


def test_a_difference_sluices_working_orders_could_explain_is_not_judged_while_they_work() -> None:
    book = {"STK:AAPL:USD": (AAPL, Decimal(10))}
    working = {"STK:AAPL:USD": (Decimal(5), Decimal(3))}  # unfilled buys, sells
    assert compare(book, [held(AAPL, 15)], _none, working) == []  # a buy filled, not booked
    assert compare(book, [held(AAPL, 7)], _none, working) == []  # a sell filled, not booked
    assert len(compare(book, [held(AAPL, 16)], _none, working)) == 1
    assert len(compare(book, [held(AAPL, 6)], _none, working)) == 1


def test_a_fill_the_broker_counts_before_risk_books_it_never_halts() -> None:
    risk = engine()
    order = risk.decide(signal("s1"), NOW)
    assert isinstance(order, ApprovedOrder)
    risk.state.on_truth(truth(held(AAPL, 10)))  # filled at IBKR; risk has not heard yet
    risk.state.on_truth(truth(held(AAPL, 10)))
    assert risk.state.drift_halt(ACCOUNT) is None
    risk.state.on_order_event(fill_event(order.client_order_id, "10", "100", final=True))
    risk.state.on_truth(truth(held(AAPL, 10)))
    assert risk.state.drift_halt(ACCOUNT) is None


ES_FRONT = Instrument(symbol="ES", sec_type="FUT", exchange="CME", roll="front")
ES_AT_IBKR = Instrument(
    symbol="ES", sec_type="FUT", exchange="CME", con_id=637533641,
    last_trade_date_or_contract_month="20261218", multiplier=Decimal(50),
)  # fmt: skip


def test_a_contract_named_differently_at_the_broker_is_matched_by_the_conid_it_went_out_as() -> (
    None
):
    risk = engine({"defaults": {"require_quote_for_limit": False}})
    es = signal(
        "s1", symbol="ES", sec_type="FUT", exchange="CME", roll="front", quantity=Decimal(1)
    )
    assert es.instrument == ES_FRONT
    order = risk.decide(es, NOW)
    assert isinstance(order, ApprovedOrder)
    risk.state.on_order_event(
        OrderSubmitting(
            client_order_id=order.client_order_id, account=ACCOUNT, side="BUY",
            quantity=Decimal(1), order_type="LMT", contract=ES_AT_IBKR,
        )
    )  # fmt: skip
    filled = fill_event(order.client_order_id, "1", "5000", final=True)
    risk.state.on_order_event(filled)
    for _ in range(3):
        risk.state.on_truth(truth(BrokerPosition(instrument=ES_AT_IBKR, quantity=Decimal(1))))
    assert risk.state.drift_halt(ACCOUNT) is None

    # the conId is in risk's state: a restarted risk still matches the two names
    records = Changelog(risk.state, mark_interval_s=5).drain(NOW)
    fresh = engine()
    for _key, record in records:
        restore(fresh.state, record)
    for _ in range(2):
        fresh.state.on_truth(truth(BrokerPosition(instrument=ES_AT_IBKR, quantity=Decimal(3))))
    [drift] = fresh.state.drift_halt(ACCOUNT) or []
    assert (drift.instrument, drift.book, drift.broker) == (ES_FRONT, Decimal(1), Decimal(3))
    fresh.state.on_accept(AcceptBroker(account=ACCOUNT))
    [line] = fresh.state.portfolio.of(ACCOUNT).values()
    assert (line.instrument, line.quantity) == (ES_FRONT, Decimal(3))
