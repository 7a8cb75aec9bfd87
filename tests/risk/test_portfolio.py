"""Average-cost accounting: realised and unrealised PnL from fills and marks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto import Instrument
from sluice_risk.domain.portfolio import DayPnl, Position
from tests.risk.factories import NOW, day_of


def position(multiplier: str = "1") -> Position:
    return Position("DU1", Instrument(symbol="AAPL"), Decimal(multiplier))


def test_adding_averages_the_cost() -> None:
    held = position()
    assert held.apply_fill(Decimal(10), Decimal(100), Decimal(0)) == 0
    held.apply_fill(Decimal(30), Decimal(104), Decimal(0))
    assert (held.quantity, held.avg_cost) == (Decimal(40), Decimal(103))
    assert held.unrealised(Decimal(105)) == Decimal(80)


def test_reducing_realises_against_the_average_cost_and_keeps_it() -> None:
    held = position()
    held.apply_fill(Decimal(40), Decimal(103), Decimal(0))
    assert held.apply_fill(Decimal(-10), Decimal(110), Decimal("1.5")) == Decimal("68.5")
    assert (held.quantity, held.avg_cost, held.realised_pnl) == (
        Decimal(30),
        Decimal(103),
        Decimal("68.5"),
    )


def test_closing_flat_resets_the_cost() -> None:
    held = position()
    held.apply_fill(Decimal(10), Decimal(100), Decimal(0))
    assert held.apply_fill(Decimal(-10), Decimal(95), Decimal(0)) == Decimal(-50)
    assert (held.quantity, held.avg_cost, held.unrealised(Decimal(1))) == (0, 0, 0)


def test_crossing_zero_opens_the_rest_at_the_fill_price() -> None:
    held = position()
    held.apply_fill(Decimal(10), Decimal(100), Decimal(0))
    assert held.apply_fill(Decimal(-25), Decimal(90), Decimal(0)) == Decimal(-100)
    assert (held.quantity, held.avg_cost) == (Decimal(-15), Decimal(90))
    assert held.unrealised(Decimal(80)) == Decimal(150)  # short gains when the price falls


def test_short_positions_realise_with_the_opposite_sign() -> None:
    held = position()
    held.apply_fill(Decimal(-10), Decimal(50), Decimal(0))
    assert held.apply_fill(Decimal(4), Decimal(45), Decimal(0)) == Decimal(20)


@pytest.mark.parametrize("mark", [None])
def test_unmarked_positions_show_no_unrealised_pnl(mark: Decimal | None) -> None:
    held = position()
    held.apply_fill(Decimal(10), Decimal(100), Decimal(0))
    assert held.unrealised(mark) == 0


def test_multiplier_scales_pnl() -> None:
    held = position("100")
    held.apply_fill(Decimal(2), Decimal("1.50"), Decimal(0))
    assert held.unrealised(Decimal("1.75")) == Decimal(50)
    assert held.apply_fill(Decimal(-2), Decimal(2), Decimal(0)) == Decimal(100)


def test_day_pnl_counts_one_trading_day() -> None:
    today = day_of(NOW)
    pnl = DayPnl()
    pnl.add(today, Decimal(-10))
    pnl.add(today, Decimal(-5))
    assert pnl.on(today) == Decimal(-15)
    tomorrow = today.replace(day=today.day + 1)
    assert pnl.on(tomorrow) == 0
    pnl.add(tomorrow, Decimal(3))
    pnl.add(today, Decimal(-100))  # a late fill of the day before does not touch today
    assert pnl.on(tomorrow) == Decimal(3)
