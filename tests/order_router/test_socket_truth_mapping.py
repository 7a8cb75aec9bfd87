"""IBKR's socket messages as the broker truth: the summary's base-currency figures (the
``BASE`` total where IBKR sends a line per currency), positions with the terms risk matches
on and a per-unit cost; other accounts' lines ignored; ``reqPnL``'s figures as ``BrokerPnl``."""

from __future__ import annotations

from decimal import Decimal

from ib_async import AccountValue, Contract, PnL
from ib_async import Position as IbPosition

from sluice_order_router.adapters.socket.truth import pnl, positions, summary
from sluice_proto import Instrument


def value(tag: str, amount: str, currency: str, account: str = "DU1") -> AccountValue:
    return AccountValue(account, tag, amount, currency, "")


def test_summary_takes_the_base_figures_of_the_account() -> None:
    figures = summary(
        [
            value("NetLiquidation", "1000000.50", "USD"),
            value("TotalCashValue", "900000", "USD"),
            value("TotalCashValue", "50000", "EUR"),
            value("TotalCashValue", "955000", "BASE"),
            value("BuyingPower", "4000000", "USD"),
            value("BuyingPower", "1", "USD", account="DU2"),
            value("AccountType", "INDIVIDUAL", ""),
        ],
        "DU1",
    )
    assert figures.currency == "USD"
    assert figures.net_liquidation == Decimal("1000000.50")
    assert figures.total_cash == Decimal(955000)
    assert figures.buying_power == Decimal(4000000)
    assert figures.init_margin is None


def test_positions_carry_the_terms_risk_matches_on_and_a_per_unit_cost() -> None:
    stock = Contract(
        secType="STK", conId=265598, symbol="AAPL", currency="USD", primaryExchange="NASDAQ",
        localSymbol="AAPL", tradingClass="NMS",
    )  # fmt: skip
    future = Contract(
        secType="FUT", conId=495512563, symbol="ES", currency="USD", exchange="CME",
        lastTradeDateOrContractMonth="20261218", multiplier="50", localSymbol="ESZ6",
    )  # fmt: skip
    held = positions(
        [
            IbPosition("DU1", stock, 10.0, 187.5),
            IbPosition("DU1", future, -2.0, 250000.0),
            IbPosition("DU2", stock, 99.0, 1.0),
        ],
        "DU1",
    )
    [aapl, es] = held
    assert aapl.instrument.key == Instrument(symbol="AAPL", exchange="NASDAQ").key
    assert not aapl.instrument.terms  # a stock is matched on symbol, type and currency
    assert (aapl.quantity, aapl.avg_cost) == (Decimal(10), Decimal("187.5"))
    assert es.instrument.terms == ":expiry=20261218:multiplier=50"
    assert (es.quantity, es.avg_cost) == (Decimal(-2), Decimal(5000))


def test_pnl_keeps_ibkrs_figures_and_an_unset_one_is_none() -> None:
    ib_pnl = PnL("DU1", "", dailyPnL=-12.5, unrealizedPnL=3.25, realizedPnL=1.7976931348623157e308)
    event = pnl(ib_pnl, [value("NetLiquidation", "1000000.50", "USD")])
    assert (event.account, event.daily_pnl, event.unrealized_pnl, event.realized_pnl) == (
        "DU1", Decimal("-12.5"), Decimal("3.25"), None
    )  # fmt: skip
    assert (event.net_liquidation, event.market_value) == (Decimal("1000000.50"), None)
    assert pnl(PnL("DU1"), []).daily_pnl is None  # nothing from IBKR yet (NaN)
