"""Read models for operators: positions marked to market and PnL per account."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec

from sluice_proto import PositionState
from sluice_risk.domain.changelog import position_state
from sluice_risk.domain.market import instrument_key
from sluice_risk.domain.state import RiskState


class AccountPnl(msgspec.Struct, kw_only=True):
    """An account's PnL: realised (all time and today) and unrealised at the latest marks."""

    account: str
    realised: Decimal
    unrealised: Decimal
    total: Decimal
    day_realised: Decimal
    trading_day: date
    kill_switch: bool


def positions(state: RiskState, now: datetime, account: str | None = None) -> list[PositionState]:
    """Every position (of one account when given), marked to the latest quote."""
    held = state.portfolio.all() if account is None else list(state.portfolio.of(account).values())
    return [position_state(state, p, now) for p in held]


def pnl(state: RiskState, now: datetime) -> list[AccountPnl]:
    """PnL of every account that holds or held a position."""
    result = []
    for account in sorted(state.portfolio.positions):
        book = state.portfolio.of(account).values()
        realised = sum((p.realised_pnl for p in book), Decimal(0))
        unrealised = sum(
            (p.unrealised(state.market.mark(instrument_key(p.instrument))) for p in book),
            Decimal(0),
        )
        result.append(
            AccountPnl(
                account=account,
                realised=realised,
                unrealised=unrealised,
                total=realised + unrealised,
                day_realised=state.day_realised(account, now),
                trading_day=state.day_of(now),
                kill_switch=state.kill_reason(account) is not None,
            )
        )
    return result
