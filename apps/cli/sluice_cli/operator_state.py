"""What the operator commands show, folded from Sluice's topics (pure: events in, rows out).

Positions, PnL, orders and kill switches come from risk's compacted ``sluice.risk.state.v1``;
session verdicts from ``sluice.session.state.v1``; the egress verdict from the router's
reports on ``sluice.session.reports.v1``; each order's latest step from
``sluice.orders.events.v1``; the broker's own PnL from ``sluice.broker.truth.v1``. Later
records win, as compaction keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sluice_proto import (
    BrokerPnl,
    EgressReport,
    PositionState,
    RiskAccountState,
    RiskOrderState,
    SessionState,
)
from sluice_proto.codec import event_type
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.orders import FINAL_STATUSES


@dataclass(slots=True)
class OperatorState:
    """The latest value of everything the operator commands show."""

    positions: dict[tuple[str, str], PositionState] = field(default_factory=dict)
    accounts: dict[str, RiskAccountState] = field(default_factory=dict)
    orders: dict[str, RiskOrderState] = field(default_factory=dict)
    sessions: dict[str, SessionState] = field(default_factory=dict)
    egress: dict[str, EgressReport] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)
    """Per client order id, the type of its latest lifecycle event."""
    broker_pnl: dict[str, BrokerPnl] = field(default_factory=dict)

    def apply(self, event: Any) -> None:
        """Fold in one event of any of the topics read."""
        if isinstance(event, PositionState):
            self.positions[(event.account, event.instrument.key)] = event
        elif isinstance(event, RiskAccountState):
            self.accounts[event.account] = event
        elif isinstance(event, RiskOrderState):
            self.orders[event.client_order_id] = event
        elif isinstance(event, SessionState):
            self.sessions[event.account] = event
        elif isinstance(event, EgressReport):
            self.egress[event.account] = event
        elif isinstance(event, BrokerPnl):
            self.broker_pnl[event.account] = event
        elif (coid := getattr(event, "client_order_id", None)) is not None:
            self.steps[coid] = event_type(event)

    def killed(self, account: str) -> RiskAccountState | None:
        """The switch that stops the account (its own, else the global one), if any is on."""
        for name in (account, ALL_ACCOUNTS):
            state = self.accounts.get(name)
            if state is not None and state.killed:
                return state
        return None


def fold(events: Iterable[Any]) -> OperatorState:
    """The state after ``events``, in order."""
    state = OperatorState()
    for event in events:
        state.apply(event)
    return state


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def position_rows(state: OperatorState, account: str | None) -> list[dict[str, Any]]:
    """One row per account and instrument with a position or realised PnL."""
    return [
        {
            "account": p.account,
            "instrument": p.instrument.key,
            "symbol": p.instrument.symbol,
            "quantity": _text(p.quantity),
            "avg_cost": _text(p.avg_cost),
            "mark_price": _text(p.mark_price),
            "realised_pnl": _text(p.realised_pnl),
            "unrealised_pnl": _text(p.unrealised_pnl),
        }
        for (name, _), p in sorted(state.positions.items())
        if account in (None, name)
    ]


def pnl_rows(state: OperatorState, account: str | None) -> list[dict[str, Any]]:
    """Per account: realised, unrealised and total PnL, realised today, the kill switch, and
    the broker's own figures where it reported them (``broker_*``, null otherwise)."""
    names = {a for a, _ in state.positions} | (set(state.accounts) - {ALL_ACCOUNTS})
    names |= set(state.broker_pnl)
    rows = []
    for name in sorted(n for n in names if account in (None, n)):
        positions = [p for (a, _), p in state.positions.items() if a == name]
        realised = sum((p.realised_pnl for p in positions), Decimal(0))
        unrealised = sum((p.unrealised_pnl for p in positions), Decimal(0))
        risk = state.accounts.get(name)
        rows.append(
            {
                "account": name,
                "realised": _text(realised),
                "unrealised": _text(unrealised),
                "total": _text(realised + unrealised),
                "day_realised": _text(risk.day_realised_pnl if risk else Decimal(0)),
                "killed": state.killed(name) is not None,
                **_broker_figures(state.broker_pnl.get(name)),
            }
        )
    return rows


BROKER_PNL_COLUMNS = (
    "broker_daily",
    "broker_unrealised",
    "broker_realised",
    "broker_net_liquidation",
    "broker_market_value",
    "broker_at",
)
"""The broker's own figures in a PnL row (``sluice pnl --broker`` shows the first three)."""


def _broker_figures(pnl: BrokerPnl | None) -> dict[str, Any]:
    if pnl is None:
        return dict.fromkeys(BROKER_PNL_COLUMNS)
    return {
        "broker_daily": _text(pnl.daily_pnl),
        "broker_unrealised": _text(pnl.unrealized_pnl),
        "broker_realised": _text(pnl.realized_pnl),
        "broker_net_liquidation": _text(pnl.net_liquidation),
        "broker_market_value": _text(pnl.market_value),
        "broker_at": pnl.ts.isoformat(),
    }


def order_rows(state: OperatorState, account: str | None, every: bool) -> list[dict[str, Any]]:
    """Risk's orders (those not final, unless ``every``) with the latest step of each."""
    return [
        {
            "client_order_id": o.client_order_id,
            "account": o.account,
            "strategy_id": o.strategy_id,
            "signal_id": o.signal_id,
            "symbol": o.instrument.symbol,
            "side": o.side,
            "quantity": _text(o.quantity),
            "limit_price": _text(o.limit_price),
            "filled_quantity": _text(o.filled_quantity),
            "avg_fill_price": _text(o.avg_fill_price),
            "status": o.status,
            "step": state.steps.get(o.client_order_id, ""),
        }
        for o in sorted(state.orders.values(), key=lambda o: o.ts)
        if account in (None, o.account) and (every or o.status not in FINAL_STATUSES)
    ]


def _egress(report: EgressReport | None) -> str:
    if report is None:
        return "unknown"
    return report.status or ("ok" if report.ok else "mismatch")


def _drift(risk: RiskAccountState | None) -> str:
    if risk is None:
        return ""
    return "; ".join(f"{d.instrument.symbol} book {d.book} broker {d.broker}" for d in risk.drift)


def status_rows(state: OperatorState, account: str | None) -> list[dict[str, Any]]:
    """Per account: the session verdict, the egress verdict, the kill switch and a drift halt
    (``POSITION_DRIFT``: risk's positions differ from the broker's)."""
    names = set(state.sessions) | set(state.egress) | (set(state.accounts) - {ALL_ACCOUNTS})
    rows = []
    for name in sorted(n for n in names if account in (None, n)):
        session = state.sessions.get(name)
        switch = state.killed(name)
        rows.append(
            {
                "account": name,
                "session": session.state if session else "UNKNOWN",
                "trading_allowed": bool(session and session.trading_allowed),
                "reason": session.reason if session else "no session verdict yet",
                "path": session.path if session else None,
                "egress": _egress(state.egress.get(name)),
                "kill_switch": switch is not None,
                "kill_reason": switch.kill_reason if switch else "",
                "position_drift": _drift(state.accounts.get(name)),
            }
        )
    return rows


def global_kill(state: OperatorState) -> dict[str, Any]:
    """The switch of every account (``*``)."""
    switch = state.accounts.get(ALL_ACCOUNTS)
    return {
        "kill_switch": bool(switch and switch.killed),
        "kill_reason": switch.kill_reason if switch and switch.killed else "",
    }
