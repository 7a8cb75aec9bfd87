"""The paper venue's newer order types: brackets, OCA groups, trailing stops, the auctions
(MOC, LOC, OPG) and GTD expiry; and how the TWS simulator reports them (through ib_async)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ib_recorder import decode

from sluice_sim.tws.encode import orders as enc
from sluice_sim.venue import OrderSpec, OrderStatus, PaperVenue, VenueConfig, VenueOrder

D = Decimal
AAPL = 265598


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def venue(clock: Clock | None = None) -> PaperVenue:
    v = PaperVenue(VenueConfig(), clock or Clock())
    v.quotes.set_mid(AAPL, D(100))  # bid 99.99, ask 100.01 or so: a known market
    return v


def spec(
    order_id: int, order_type: str = "MKT", side: str = "BUY", qty: int = 10, **kw: object
) -> OrderSpec:
    return OrderSpec(7, order_id, "", AAPL, side, D(qty), order_type, **kw)  # type: ignore[arg-type]


def status(v: PaperVenue, order_id: int) -> OrderStatus:
    found = v.store.get(7, order_id)
    assert found is not None
    return found.status


def bracket(v: PaperVenue, parent_type: str = "LMT", limit: str = "99") -> None:
    v.place(spec(1, parent_type, limit_price=D(limit)))
    v.place(spec(2, "LMT", "SELL", limit_price=D(110), parent_id=1))
    v.place(spec(3, "STP", "SELL", stop_price=D(95), parent_id=1))


def test_bracket_children_wait_for_the_parent_and_one_cancels_the_other() -> None:
    v = venue()
    bracket(v)
    assert [status(v, i) for i in (1, 2, 3)] == [OrderStatus.SUBMITTED] + [
        OrderStatus.PRE_SUBMITTED
    ] * 2

    v.quotes.set_mid(AAPL, D("98.5"))  # the parent's limit is crossed
    assert [status(v, i) for i in (1, 2, 3)] == [
        OrderStatus.FILLED, OrderStatus.SUBMITTED, OrderStatus.PRE_SUBMITTED
    ]  # fmt: skip

    v.quotes.set_mid(AAPL, D(111))  # the take-profit trades: the stop-loss goes
    assert [status(v, i) for i in (2, 3)] == [OrderStatus.FILLED, OrderStatus.CANCELLED]


def test_cancelling_a_bracket_parent_cancels_its_children() -> None:
    v = venue()
    bracket(v)
    v.cancel(7, 1)
    assert [status(v, i) for i in (1, 2, 3)] == [OrderStatus.CANCELLED] * 3


def test_oca_type_1_cancels_the_others_and_type_2_reduces_them() -> None:
    v = venue()
    v.place(spec(1, "LMT", limit_price=D(99), oca_group="g", oca_type=1))
    v.place(spec(2, "LMT", limit_price=D(98), oca_group="g", oca_type=1))
    v.place(spec(3, "LMT", limit_price=D(97), oca_group="other", oca_type=2, qty=10))
    v.place(spec(4, "LMT", limit_price=D(90), oca_group="other", oca_type=2, qty=10))
    v.quotes.set_mid(AAPL, D("98.5"))
    assert (status(v, 1), status(v, 2)) == (OrderStatus.FILLED, OrderStatus.CANCELLED)
    v.quotes.set_mid(AAPL, D("96.5"))
    reduced = v.store.get(7, 4)
    assert status(v, 3) == OrderStatus.FILLED
    assert reduced is not None and reduced.status is OrderStatus.CANCELLED  # 10 - 10 left


def test_a_trailing_stop_follows_the_quote_and_triggers() -> None:
    v = venue()
    v.place(spec(1, "TRAIL", "SELL", trailing_amount=D(2)))
    order = v.store.get(7, 1)
    assert order is not None and order.status is OrderStatus.PRE_SUBMITTED
    start = order.trail_stop
    assert start is not None and start < D(99)

    v.quotes.set_mid(AAPL, D(105))  # the market rises: the stop follows
    raised = order.trail_stop
    assert raised is not None and raised > start + 4
    v.quotes.set_mid(AAPL, D(104))  # a dip within the trail: it stays put
    assert order.trail_stop == raised and order.status is OrderStatus.PRE_SUBMITTED

    v.quotes.set_mid(AAPL, raised - 1)  # through the stop: it triggers and sells at the bid
    assert status(v, 1) == OrderStatus.FILLED
    assert order.executions[0].price < raised


def test_a_trailing_stop_limit_by_percent_gets_its_limit_when_triggered() -> None:
    v = venue()
    v.place(spec(1, "TRAIL LIMIT", "SELL", trailing_percent=D(1), limit_price_offset=D("0.5"),
                 trail_stop_price=D(98)))  # fmt: skip
    order = v.store.get(7, 1)
    assert order is not None and order.trail_stop == D(98)
    v.quotes.set_mid(AAPL, D("97.9"))
    assert order.triggered and order.spec.limit_price == D("97.5")
    assert order.status is OrderStatus.FILLED  # the bid is above the limit


def test_moc_and_loc_trade_at_the_close_and_opg_at_the_open() -> None:
    v = venue()
    v.place(spec(1, "MOC"))
    v.place(spec(2, "LOC", limit_price=D(90)))  # too low: cancelled at the close
    v.place(spec(3, "MKT", tif="OPG"))
    v.step()
    assert [status(v, i) for i in (1, 2, 3)] == [OrderStatus.PRE_SUBMITTED] * 3
    assert [o.spec.order_id for o in v.auction("close")] == [1, 2]
    assert (status(v, 1), status(v, 2), status(v, 3)) == (
        OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.PRE_SUBMITTED
    )  # fmt: skip
    v.auction("open")
    assert status(v, 3) == OrderStatus.FILLED


def test_gtd_orders_expire_at_their_time() -> None:
    clock = Clock()
    v = venue(clock)
    v.place(spec(1, "LMT", limit_price=D(50), tif="GTD", good_till=clock.now + timedelta(hours=1)))
    v.step()
    assert status(v, 1) == OrderStatus.SUBMITTED
    clock.now += timedelta(hours=1)
    v.step()
    assert status(v, 1) == OrderStatus.CANCELLED


def test_open_order_reports_the_newer_terms_through_ib_async() -> None:
    terms = spec(
        5, "TRAIL LIMIT", "SELL", trailing_amount=D("1.5"), trail_stop_price=D(98),
        limit_price_offset=D("0.25"), tif="GTD", oca_group="pair", oca_type=2, parent_id=4,
        good_till=datetime(2026, 12, 4, 21, 30, tzinfo=UTC),
    )  # fmt: skip
    v = venue()
    fields = enc.open_order(terms, v.universe.get(AAPL), 1001, "PreSubmitted")
    assert len(fields) == 128
    _, (_, _, o, _) = decode(fields)
    assert (o.orderType, o.auxPrice, o.trailStopPrice, o.lmtPriceOffset) == (
        "TRAIL LIMIT", 1.5, 98.0, 0.25
    )  # fmt: skip
    assert (o.tif, o.goodTillDate) == ("GTD", "20261204 21:30:00 UTC")
    assert (o.ocaGroup, o.ocaType, o.parentId) == ("pair", 2, 4)
    status_fields = enc.order_status(VenueOrder(terms, 1001, datetime.now(UTC)))
    assert decode(status_fields)[1][6] == 4  # parentId
