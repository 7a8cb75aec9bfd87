"""Builders for risk tests: a fixed clock, signals, quotes, fills and a ready engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sluice_proto import Fill, Instrument, OrderFilled, OrderPartiallyFilled, Quote, Signal
from sluice_proto.session import SessionState
from sluice_risk.domain.engine import RiskEngine
from sluice_risk.domain.limits import LimitBook, LimitsConfig
from sluice_risk.domain.state import RiskState

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
ACCOUNT = "DU111"
_NEW_YORK = ZoneInfo("America/New_York")


def day_of(ts: datetime) -> date:
    return ts.astimezone(_NEW_YORK).date()


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def signal(signal_id: str = "s1", **fields: Any) -> Signal:
    values: dict[str, Any] = {
        "strategy_id": "strat",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": Decimal(10),
        "order_type": "LMT",
        "limit_price": Decimal(100),
        "created_at": NOW,
    }
    values.update(fields)
    return Signal(signal_id=signal_id, **values)


def quote(symbol: str = "AAPL", bid: str = "99.9", ask: str = "100.1", **fields: Any) -> Quote:
    values: dict[str, Any] = {"ts": NOW}
    values.update(fields)
    return Quote(instrument=Instrument(symbol=symbol), bid=Decimal(bid), ask=Decimal(ask), **values)


def session(allowed: bool = True, account: str = ACCOUNT, **fields: Any) -> SessionState:
    return SessionState(
        account=account,
        state="UP" if allowed else "DOWN",
        trading_allowed=allowed,
        reason="ok" if allowed else "gateway down",
        ts=fields.pop("ts", NOW),
        **fields,
    )


def fill_event(
    client_order_id: str,
    filled: str,
    price: str,
    *,
    last: str | None = None,
    final: bool = False,
    avg: str | None = None,
    commission: str | None = None,
    at: datetime = NOW,
    exec_id: str = "e1",
) -> OrderPartiallyFilled | OrderFilled:
    """A cumulative fill event: ``filled`` so far, the last execution of ``last`` at ``price``."""
    fill = Fill(
        exec_id=exec_id,
        quantity=Decimal(last or filled),
        price=Decimal(price),
        commission=Decimal(commission) if commission else None,
        executed_at=at,
    )
    common: dict[str, Any] = {
        "client_order_id": client_order_id,
        "account": ACCOUNT,
        "fill": fill,
        "filled_quantity": Decimal(filled),
        "avg_fill_price": Decimal(avg or price),
    }
    if final:
        return OrderFilled(**common)
    return OrderPartiallyFilled(**common, remaining_quantity=Decimal(0))


def engine(limits: dict[str, Any] | None = None, *, ready: bool = True) -> RiskEngine:
    """An engine on ``limits`` (the file's shape); ``ready`` adds a live session and AAPL quote."""
    config = LimitsConfig.model_validate({"default_account": ACCOUNT, **(limits or {})})
    state = RiskState(LimitBook(config), day_of)
    if ready:
        state.on_session(session())
        state.on_quote(quote())
    return RiskEngine(state, None)
