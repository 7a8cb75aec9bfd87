"""Average-cost accounting: realised and unrealised PnL from fills and marks."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sluice_proto import Instrument
from sluice_risk.domain.portfolio import DayPnl, Position

from tests.risk.factories import NOW, day_of


def position(multiplier: str = "1") -> Position:
    return Position("DU1", Instrument(symbol="AAPL"), D(multiplier))


def test_adding_averages_the_cost() -> None:
    held = position()
    assert held.apply_fill(D(10), D(100), D(0)) == 0
    held.apply_fill(D(30), D(104), D(0))
    assert (held.quantity, held.avg_cost) == (D(40), D(103))
    assert held.unrealised(D(105)) == D(80)


def test_reducing_realises_against_the_average_cost_and_keeps_it() -> None:
    held = position()
    held.apply_fill(D(40), D(103), D(0))
    assert held.apply_fill(D(-10), D(110), D("1.5")) == D("68.5")
    assert (held.quantity, held.avg_cost, held.realised_pnl) == (D(30), D(103), D("68.5"))


def test_closing_flat_resets_the_cost() -> None:
    held = position()
    held.apply_fill(D(10), D(100), D(0))
    assert held.apply_fill(D(-10), D(95), D(0)) == D(-50)
    assert (held.quantity, held.avg_cost, held.unrealised(D(1))) == (0, 0, 0)


def test_crossing_zero_opens_the_rest_at_the_fill_price() -> None:
    held = position()
    held.apply_fill(D(10), D(100), D(0))
    assert held.apply_fill(D(-25), D(90), D(0)) == D(-100)
    assert (held.quantity, held.avg_cost) == (D(-15), D(90))
    assert held.unrealised(D(80)) == D(150)  # short gains when the price falls


def test_short_positions_realise_with_the_opposite_sign() -> None:
    held = position()
    held.apply_fill(D(-10), D(50), D(0))
    assert held.apply_fill(D(4), D(45), D(0)) == D(20)


@pytest.mark.parametrize("mark", [None])
def test_unmarked_positions_show_no_unrealised_pnl(mark: D | None) -> None:
    held = position()
    held.apply_fill(D(10), D(100), D(0))
    assert held.unrealised(mark) == 0


def test_multiplier_scales_pnl() -> None:
    held = position("100")
    held.apply_fill(D(2), D("1.50"), D(0))
    assert held.unrealised(D("1.75")) == D(50)
    assert held.apply_fill(D(-2), D(2), D(0)) == D(100)


def test_day_pnl_counts_one_trading_day() -> None:
    today = day_of(NOW)
    pnl = DayPnl()
    pnl.add(today, D(-10))
    pnl.add(today, D(-5))
    assert pnl.on(today) == D(-15)
    tomorrow = today.replace(day=today.day + 1)
    assert pnl.on(tomorrow) == 0
    pnl.add(tomorrow, D(3))
    pnl.add(today, D(-100))  # a late fill of the day before does not touch today
    assert pnl.on(tomorrow) == D(3)
