"""The rule engine: a signal or cancel request, the state and the time in; a decision out."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sluice_proto import (
    ApprovedOrder,
    CancelOrder,
    CancelRequest,
    OrderRejected,
    Signal,
    SignalDuplicate,
)
from sluice_proto.orders import OrderRejectReason
from sluice_proto.risk_state import RiskOrderStatus
from sluice_risk.domain.checks import OrderContext, first_objection
from sluice_risk.domain.market import instrument_key
from sluice_risk.domain.orders import DecidedOrder
from sluice_risk.domain.state import RiskState

Decision = ApprovedOrder | CancelOrder | OrderRejected | SignalDuplicate


class RiskEngine:
    """Decides; every decision about a signal is recorded in the state (its id is then seen)."""

    def __init__(self, state: RiskState, default_account: str | None) -> None:
        self.state = state
        self.default_account = default_account or state.limits.config.default_account

    def decide(self, request: Signal | CancelRequest, now: datetime) -> Decision:
        """The decision for one request at time ``now``."""
        if isinstance(request, CancelRequest):
            return self._cancel(request, now)
        if self.state.orders.get(request.client_order_id) is not None:
            return SignalDuplicate(
                client_order_id=request.client_order_id,
                account=request.account or self.default_account or "",
                strategy_id=request.strategy_id,
                signal_id=request.signal_id,
                symbol=request.symbol,
                ts=now,
            )
        account = request.account or self.default_account
        if not account:
            return self._reject(request, "", "UNKNOWN_ACCOUNT", "no account and no default", now)
        objection = first_objection(self._context(request, account, now))
        if objection is not None:
            return self._reject(request, account, *objection, now)
        return self._approve(request, account, now)

    def _cancel(self, request: CancelRequest, now: datetime) -> CancelOrder | OrderRejected:
        order = self.state.orders.get(request.client_order_id)
        account = (order.account if order else None) or request.account or self.default_account
        if not account:
            return OrderRejected(
                client_order_id=request.client_order_id,
                account="",
                strategy_id=request.strategy_id,
                signal_id=request.signal_id,
                reason_code="UNKNOWN_ACCOUNT",
                message="cancel names no account, the order is unknown and there is no default",
                ts=now,
            )
        return CancelOrder(
            client_order_id=request.client_order_id,
            account=account,
            strategy_id=request.strategy_id,
            signal_id=request.signal_id,
            reason=request.reason,
            requested_at=now,
        )

    def _context(self, signal: Signal, account: str, now: datetime) -> OrderContext:
        state = self.state
        limits = state.limits.for_order(account, signal.symbol)
        quote = state.market.quote(signal.instrument, now, limits.quote_max_age_s)
        key = instrument_key(signal.instrument)
        held = state.portfolio.position(account, key)
        working = state.orders.open_orders(account)
        same_side = sum(
            (o.remaining * o.direction for o in working if o.side == signal.side and o.key == key),
            Decimal(0),
        )
        return OrderContext(
            signal=signal,
            account=account,
            limits=limits,
            account_limits=state.limits.for_account(account),
            now=now,
            kill_reason=state.kill_reason(account),
            session=state.market.session(account),
            quote=quote,
            price=signal.limit_price or signal.stop_price or (quote.price if quote else None),
            position=held.quantity if held is not None else Decimal(0),
            working_same_side=same_side,
            gross_exposure=self._gross_exposure(account, working),
            open_orders=len(working),
            recent_approvals=state.orders.approvals_since(
                signal.strategy_id,
                now - timedelta(seconds=limits.rate_window_s),
                limits.max_orders_per_window,
            ),
            day_realised=state.day_realised(account, now),
        )

    def _gross_exposure(self, account: str, working: list[DecidedOrder]) -> Decimal:
        """Sum of |position| x mark (average cost when unmarked) plus working orders' notional."""
        state, total = self.state, Decimal(0)
        for key, position in state.portfolio.of(account).items():
            mark = state.market.mark(key) or position.avg_cost
            total += abs(position.quantity) * mark * position.multiplier
        # per instrument, not per order: price unless the order carries its own, and multiplier
        unit: dict[str, tuple[Decimal, Decimal]] = {}
        for order in working:
            found = unit.get(order.key)
            if found is None:
                limits = state.limits.for_order(account, order.instrument.symbol)
                mark = state.market.mark(order.key) or Decimal(0)
                found = unit[order.key] = (mark, limits.multiplier)
            price = order.limit_price or found[0]
            total += (order.quantity - order.filled_quantity) * price * found[1]
        return total

    def _approve(self, signal: Signal, account: str, now: datetime) -> ApprovedOrder:
        self.state.record(_decided(signal, account, "open", now))
        self.state.orders.note_approval(signal.strategy_id, now)
        return ApprovedOrder(
            client_order_id=signal.client_order_id,
            strategy_id=signal.strategy_id,
            signal_id=signal.signal_id,
            account=account,
            instrument=signal.instrument,
            side=signal.side,
            quantity=signal.quantity,
            order_type=signal.order_type,
            limit_price=signal.limit_price,
            stop_price=signal.stop_price,
            tif=signal.tif,
            outside_rth=signal.outside_rth,
            signal_created_at=signal.created_at,
            approved_at=now,
        )

    def _reject(
        self, signal: Signal, account: str, code: OrderRejectReason, message: str, now: datetime
    ) -> OrderRejected:
        self.state.record(_decided(signal, account, "rejected", None))
        return OrderRejected(
            client_order_id=signal.client_order_id,
            account=account,
            strategy_id=signal.strategy_id,
            signal_id=signal.signal_id,
            symbol=signal.symbol,
            reason_code=code,
            message=message,
            ts=now,
        )


def _decided(
    signal: Signal, account: str, status: RiskOrderStatus, approved_at: datetime | None
) -> DecidedOrder:
    return DecidedOrder(
        client_order_id=signal.client_order_id,
        account=account,
        strategy_id=signal.strategy_id,
        signal_id=signal.signal_id,
        instrument=signal.instrument,
        side=signal.side,
        quantity=signal.quantity,
        status=status,
        limit_price=signal.limit_price,
        approved_at=approved_at,
    )
