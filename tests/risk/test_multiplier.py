"""A derivative's own multiplier drives notional, exposure and PnL (pure domain)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_proto import ApprovedOrder, Instrument, OrderRejected
from sluice_risk.domain.limits import Limits, multiplier_of
from tests.risk.factories import ACCOUNT, NOW, engine, fill_event, signal

ES_DEC = {
    "symbol": "ES",
    "sec_type": "FUT",
    "exchange": "CME",
    "last_trade_date_or_contract_month": "202612",
}


def _limits(**values: Any) -> dict[str, Any]:
    return {"defaults": {"require_quote_for_limit": False, **values}}


def test_the_instruments_multiplier_wins_over_the_limits() -> None:
    limits = Limits(multiplier=Decimal(10))
    assert multiplier_of(Instrument(symbol="AAPL"), limits) == Decimal(10)
    es = Instrument(**ES_DEC, multiplier=Decimal(50))  # type: ignore[arg-type]
    assert multiplier_of(es, limits) == Decimal(50)


def test_order_notional_counts_the_signals_multiplier() -> None:
    risk = engine(_limits(max_order_notional=500_000))
    one = signal("one", **ES_DEC, quantity=Decimal(1), limit_price=Decimal(5300))
    assert isinstance(risk.decide(one, NOW), ApprovedOrder)  # 1 x 5300, no multiplier known
    two = signal(
        "two", **ES_DEC, quantity=Decimal(2), limit_price=Decimal(5300), multiplier=Decimal(50)
    )
    refused = risk.decide(two, NOW)  # 2 x 5300 x 50 = 530,000
    assert isinstance(refused, OrderRejected)
    assert refused.reason_code == "MAX_ORDER_NOTIONAL"
    assert "530000" in refused.message


def test_exposure_and_pnl_of_a_filled_future_use_its_multiplier() -> None:
    risk = engine(_limits(max_gross_exposure=600_000))
    es = {**ES_DEC, "multiplier": Decimal(50), "limit_price": Decimal(5000)}
    first = risk.decide(signal("buy", **es, quantity=Decimal(2)), NOW)
    assert isinstance(first, ApprovedOrder)
    risk.state.on_order_event(fill_event(first.client_order_id, "2", "5000", final=True))
    key = "FUT:ES:USD:expiry=202612:multiplier=50"
    held = risk.state.portfolio.position(ACCOUNT, key)
    assert held is not None and held.multiplier == Decimal(50)
    # 2 x 5000 x 50 = 500,000 held; one more contract would make 750,000
    more = risk.decide(signal("more", **es, quantity=Decimal(1)), NOW)
    assert isinstance(more, OrderRejected) and more.reason_code == "MAX_GROSS_EXPOSURE"
    sell = risk.decide(signal("sell", **es, side="SELL", quantity=Decimal(2)), NOW)
    assert isinstance(sell, ApprovedOrder)
    risk.state.on_order_event(fill_event(sell.client_order_id, "2", "5010", final=True))
    assert held.realised_pnl == Decimal(2 * 10 * 50)
