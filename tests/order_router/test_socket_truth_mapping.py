"""IBKR's account values as the broker truth's summary: base-currency figures, the ``BASE``
total where IBKR sends a line per currency, other accounts' lines ignored."""

from __future__ import annotations

from decimal import Decimal

from ib_async import AccountValue

from sluice_order_router.adapters.socket.truth import summary


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
