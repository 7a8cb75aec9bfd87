"""The paper venue core: orders, fills, accounts, what-if and the order store."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from sluice_sim.venue import (
    ContractQuery,
    DuplicateOrderIdError,
    ExecutionOccurred,
    FilledOrderError,
    InvalidRequestError,
    OrderRejectedError,
    OrderSpec,
    OrderStatus,
    PaperVenue,
    UnknownContractError,
    VenueConfig,
    VenueEvent,
)

D = Decimal
AAPL = 265598


def order(order_id: int, order_type: str = "MKT", qty: int = 10, **kw: object) -> OrderSpec:
    return OrderSpec(7, order_id, "", AAPL, "BUY", D(qty), order_type, **kw)  # type: ignore[arg-type]


def test_same_seed_same_quotes() -> None:
    a, b = PaperVenue(VenueConfig(seed=3)), PaperVenue(VenueConfig(seed=3))
    for _ in range(5):
        assert a.step() == b.step()
    assert PaperVenue(VenueConfig(seed=4)).step() != PaperVenue(VenueConfig(seed=3)).step()


def test_resolve_finds_options_and_listings_by_every_term() -> None:
    universe = PaperVenue(VenueConfig()).universe
    call = ContractQuery(
        symbol="AAPL", sec_type="OPT", exchange="SMART", last_trade_date="20261218",
        strike=Decimal(200), right="CALL",
    )  # fmt: skip
    [found] = universe.resolve(call)
    assert (found.local_symbol, found.multiplier) == ("AAPL  261218C00200000", 100)
    month = replace(call, last_trade_date="202612", right="C")
    assert [i.last_trade_date for i in universe.resolve(month)] == ["20261211", "20261218"]
    for exchange, currency, con_id in (("SMART", "CAD", 195014125), ("NYSE", "", 195014116)):
        query = ContractQuery(symbol="SHOP", sec_type="STK", exchange=exchange, currency=currency)
        assert [i.con_id for i in universe.resolve(query)] == [con_id]


def test_resolve_validates_and_finds() -> None:
    universe = PaperVenue(VenueConfig()).universe
    assert [i.con_id for i in universe.resolve(ContractQuery(symbol="AAPL", sec_type="STK"))] == [
        AAPL
    ]
    es = universe.resolve(ContractQuery(symbol="ES", sec_type="FUT", exchange="CME"))
    assert es[0].last_trade_date == "20261218"
    months = universe.resolve(ContractQuery(symbol="ES", sec_type="FUT", last_trade_date="2027"))
    assert [(i.local_symbol, i.multiplier) for i in months] == [("ESH7", 50), ("ESM7", 50)]
    with pytest.raises(InvalidRequestError):
        universe.resolve(ContractQuery(symbol="AAPL"))
    with pytest.raises(UnknownContractError):
        universe.resolve(ContractQuery(symbol="NOPE", sec_type="STK"))


def test_market_order_fills_books_position_and_emits_execution_first() -> None:
    venue = PaperVenue(VenueConfig())
    events: list[VenueEvent] = []
    venue.subscribe(events.append)
    placed = venue.place(order(1, order_ref="ref-1"))
    assert placed.status is OrderStatus.FILLED
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["OrderStatusChanged", "ExecutionOccurred", "OrderStatusChanged"]
    execution = next(e for e in events if isinstance(e, ExecutionOccurred)).execution
    assert execution.commission == D("1.00") and execution.order_ref == "ref-1"
    position = venue.accounts["DU1234567"].positions[AAPL]
    assert position.quantity == 10 and position.avg_price == execution.price


def test_limit_rests_then_fills_when_crossed_and_partial_fills() -> None:
    venue = PaperVenue(VenueConfig(max_fill_per_step=D(4)))
    ask = venue.quotes.quote(AAPL).ask
    resting = venue.place(order(1, "LMT", limit_price=ask - D(1)))
    assert resting.status is OrderStatus.SUBMITTED and resting.filled == 0
    venue.quotes.set_mid(AAPL, ask - D(2))
    assert resting.filled == 4 and resting.status is OrderStatus.SUBMITTED
    venue.step()
    venue.step()
    assert resting.filled == 10 and resting.status is OrderStatus.FILLED
    assert len(resting.executions) == 3


def test_ioc_cancels_the_rest_and_day_orders_expire() -> None:
    venue = PaperVenue(VenueConfig(max_fill_per_step=D(4)))
    ioc = venue.place(order(1, tif="IOC"))
    assert (ioc.filled, ioc.status) == (4, OrderStatus.CANCELLED)
    bid = venue.quotes.quote(AAPL).bid
    day = venue.place(order(2, "LMT", limit_price=bid - D(5)))
    gtc = venue.place(order(3, "LMT", limit_price=bid - D(5), tif="GTC"))
    assert venue.expire_day_orders() == [day]
    assert gtc.status is OrderStatus.SUBMITTED


def test_modify_cancel_duplicate_and_store_counts() -> None:
    venue = PaperVenue(VenueConfig())
    bid = venue.quotes.quote(AAPL).bid
    venue.place(order(1, "LMT", limit_price=bid - D(5), order_ref="r"))
    modified = venue.place(order(1, "LMT", qty=20, limit_price=bid - D(4)))
    assert modified.spec.quantity == 20 and modified.spec.order_ref == "r"
    assert venue.cancel(7, 1).status is OrderStatus.CANCELLED
    with pytest.raises(DuplicateOrderIdError):
        venue.place(order(1, "LMT", limit_price=bid - D(5)))
    assert venue.store.orders_with_ref("r") == 1
    assert [o.perm_id for o in venue.store.completed_orders()] == [modified.perm_id]


def test_a_modify_is_matched_at_once_and_a_filled_order_answers_104() -> None:
    venue = PaperVenue(VenueConfig())
    ask = venue.quotes.quote(AAPL).ask
    resting = venue.place(order(1, "LMT", limit_price=ask - D(5), order_ref="r"))
    crossed = venue.place(order(1, "LMT", limit_price=ask, order_ref="r"))
    assert crossed is resting and resting.status is OrderStatus.FILLED
    assert resting.modifications == 1
    with pytest.raises(FilledOrderError, match="Can't modify a filled order"):
        venue.place(order(1, "LMT", limit_price=ask - D(1), order_ref="r"))
    with pytest.raises(DuplicateOrderIdError):  # another order under the spent id
        venue.place(order(1, "LMT", limit_price=ask - D(1), order_ref="other"))
    assert venue.store.orders_with_ref("r") == 1


def test_rejections() -> None:
    venue = PaperVenue(VenueConfig())
    with pytest.raises(OrderRejectedError):
        venue.place(order(1, "LMT"))  # no limit price
    with pytest.raises(OrderRejectedError):
        venue.place(order(1, "LMT", limit_price=D("100.001")))  # off tick
    with pytest.raises(UnknownContractError):
        venue.place(OrderSpec(7, 2, "", 1, "BUY", D(1), "MKT"))


def test_what_if_prices_margin_and_commission_without_placing() -> None:
    venue = PaperVenue(VenueConfig())
    result = venue.what_if(order(1, qty=100))
    assert result.commission == D("1.00")
    assert result.init_margin_change > 0 and result.init_margin_before == 0
    assert not list(venue.store)


def test_account_values_after_round_trip() -> None:
    venue = PaperVenue(VenueConfig())
    venue.place(order(1, qty=100))
    venue.place(OrderSpec(7, 2, "", AAPL, "SELL", D(100), "MKT"))
    values = venue.account_values("DU1234567")
    spread_cost = -(venue.quotes.quote(AAPL).ask - venue.quotes.quote(AAPL).bid) * 100
    assert values["RealizedPnL"] == spread_cost
    assert values["NetLiquidation"] == D(1_000_000) + spread_cost - D("2.00")
