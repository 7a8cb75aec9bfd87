"""Pure matching rules and the cost models."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.venue import CommissionModel, OrderSpec, Quote, load_universe
from sluice_sim.venue.matching import match

D = Decimal
QUOTE = Quote(1, D("99.99"), D("100.01"), D("100"), D(100), D(100), D(1), D(0))


def spec(action: str = "BUY", order_type: str = "MKT", **kw: object) -> OrderSpec:
    return OrderSpec(1, 1, "DU1", 1, action, D(10), order_type, **kw)  # type: ignore[arg-type]


def test_market_buy_fills_at_the_ask_and_sell_at_the_bid() -> None:
    assert match(spec(), D(10), QUOTE, False, None).price == D("100.01")
    assert match(spec("SELL"), D(10), QUOTE, False, None).price == D("99.99")


def test_limit_rests_until_crossed() -> None:
    resting = spec(order_type="LMT", limit_price=D("100.00"))
    assert match(resting, D(10), QUOTE, False, None).quantity == 0
    crossing = spec(order_type="LMT", limit_price=D("100.05"))
    result = match(crossing, D(10), QUOTE, False, None)
    assert (result.quantity, result.price) == (D(10), D("100.01"))


def test_partial_fill_is_capped_by_liquidity_per_step() -> None:
    assert match(spec(), D(10), QUOTE, False, D(3)).quantity == D(3)


def test_stop_arms_only_when_touched() -> None:
    stop = spec(order_type="STP", stop_price=D("100.50"))
    idle = match(stop, D(10), QUOTE, False, None)
    assert not idle.triggered and idle.quantity == 0
    assert match(stop, D(10), QUOTE, True, None).quantity == D(10)


def test_commission_model() -> None:
    universe = load_universe()
    model = CommissionModel()
    aapl, es, eur = (universe.get(c) for c in (265598, 637533641, 12087792))
    assert model.commission(aapl, D(10), D(190)) == D("1.00")  # minimum
    assert model.commission(aapl, D(1000), D(190)) == D("5.00")
    assert model.commission(es, D(2), D(5300)) == D("1.70")
    assert model.commission(eur, D(20000), D("1.085")) == D("2.00")
