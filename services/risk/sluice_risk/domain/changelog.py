"""The state as records of ``sluice.risk.state.v1``: written after each change, read on restart."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sluice_proto.risk_state import (
    PositionState,
    RiskAccountState,
    RiskOrderState,
    RiskStateEvent,
)
from sluice_risk.domain.limits import multiplier_of
from sluice_risk.domain.market import instrument_key
from sluice_risk.domain.orders import DecidedOrder
from sluice_risk.domain.portfolio import DayPnl, Position
from sluice_risk.domain.state import RiskState

log = logging.getLogger(__name__)

Keyed = tuple[str, RiskStateEvent]
"""A changelog record and its compaction key."""


def position_state(state: RiskState, position: Position, now: datetime) -> PositionState:
    """A position marked to the latest quote."""
    mark = state.market.mark(instrument_key(position.instrument))
    return PositionState(
        account=position.account,
        instrument=position.instrument,
        quantity=position.quantity,
        avg_cost=position.avg_cost,
        realised_pnl=position.realised_pnl,
        unrealised_pnl=position.unrealised(mark),
        mark_price=mark,
        ts=now,
    )


class Changelog:
    """Turns the state's pending changes into keyed records; re-marks are batched."""

    def __init__(self, state: RiskState, mark_interval_s: float) -> None:
        self.state = state
        self._mark_interval = timedelta(seconds=mark_interval_s)
        self._marks_written: datetime | None = None

    def drain(self, now: datetime) -> list[Keyed]:
        """Records for everything changed since the last drain (changes are then cleared)."""
        state, changes = self.state, self.state.changes
        positions = set(changes.positions)
        if changes.marks and (
            self._marks_written is None or now - self._marks_written >= self._mark_interval
        ):
            positions |= changes.marks
            changes.marks.clear()
            self._marks_written = now
        records: list[Keyed] = []
        for account, key in sorted(positions):
            held = state.portfolio.position(account, key)
            if held is not None:
                record = position_state(state, held, now)
                records.append((f"{account}|{held.instrument.key}", record))
        for client_order_id in sorted(changes.orders):
            order = state.orders.get(client_order_id)
            if order is not None:
                records.append((f"order|{client_order_id}", _order_state(order, now)))
        for account in sorted(changes.accounts):
            records.append((f"account|{account}", self._account_state(account, now)))
        changes.orders.clear()
        changes.positions.clear()
        changes.accounts.clear()
        return records

    def _account_state(self, account: str, now: datetime) -> RiskAccountState:
        day = self.state.days.get(account, DayPnl())
        reason = self.state.kills.get(account)
        return RiskAccountState(
            account=account,
            killed=reason is not None,
            kill_reason=reason or "",
            trading_day=day.day,
            day_realised_pnl=day.realised,
            ts=now,
            drift=self.state.broker.halts.get(account, []),
        )


def restore(state: RiskState, record: RiskStateEvent) -> None:
    """Apply one changelog record read back on restart (later records of a key win)."""
    if isinstance(record, PositionState):
        key = instrument_key(record.instrument)
        limits = state.limits.for_order(record.account, record.instrument.symbol)
        multiplier = multiplier_of(record.instrument, limits)
        held = state.portfolio.open_position(record.account, key, record.instrument, multiplier)
        held.quantity, held.avg_cost = record.quantity, record.avg_cost
        held.realised_pnl = record.realised_pnl
    elif isinstance(record, RiskOrderState):
        status, deferred = record.status, record.deferred
        if status == "deferred" and deferred is None:  # nothing could ever decide it
            log.error("deferred order %s restored without its signal: expired",
                      record.client_order_id)  # fmt: skip
            status = "expired"
        state.orders.record(  # a later record of the key replaces the order, deferred or not
            DecidedOrder(
                client_order_id=record.client_order_id,
                account=record.account,
                strategy_id=record.strategy_id,
                signal_id=record.signal_id,
                instrument=record.instrument,
                side=record.side,
                quantity=record.quantity,
                status=status,
                limit_price=record.limit_price,
                filled_quantity=record.filled_quantity,
                avg_fill_price=record.avg_fill_price,
                approved_at=record.approved_at,
                con_id=record.con_id,
                order_type=record.order_type,
                stop_price=record.stop_price,
                tif=record.tif or "DAY",
                revision=record.revision,
                parent=record.parent_client_order_id,
                oca_group=record.oca_group,
                deferred=deferred,
            )
        )
        if record.con_id:
            state.broker.learn(record.account, record.con_id, instrument_key(record.instrument))
        if record.approved_at is not None:
            state.orders.note_approval(record.strategy_id, record.approved_at)
    else:
        if record.killed:
            state.kills[record.account] = record.kill_reason
        else:
            state.kills.pop(record.account, None)
        state.days[record.account] = DayPnl(record.trading_day, record.day_realised_pnl)
        if record.drift:
            state.broker.halts[record.account] = list(record.drift)
        else:
            state.broker.halts.pop(record.account, None)


def _order_state(order: DecidedOrder, now: datetime) -> RiskOrderState:
    return RiskOrderState(
        client_order_id=order.client_order_id,
        account=order.account,
        strategy_id=order.strategy_id,
        signal_id=order.signal_id,
        instrument=order.instrument,
        side=order.side,
        quantity=order.quantity,
        status=order.status,
        limit_price=order.limit_price,
        filled_quantity=order.filled_quantity,
        avg_fill_price=order.avg_fill_price,
        approved_at=order.approved_at,
        ts=now,
        deferred=order.deferred,
        con_id=order.con_id,
        order_type=order.order_type,
        stop_price=order.stop_price,
        tif=order.tif,
        revision=order.revision,
        parent_client_order_id=order.parent,
        oca_group=order.oca_group,
    )
