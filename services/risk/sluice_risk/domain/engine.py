"""The rule engine: a signal, cancel or modify request, the state and the time in; a decision
out.

A decision may be deferred: a signal whose instrument has no fresh quote waits briefly for
one, and a signal that arrives while trading is not allowed is parked (when it allows it).
``revisit`` decides them later, as if they were new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from sluice_proto import (
    AmendOrder,
    ApprovedOrder,
    BrokerOpenOrder,
    CancelOrder,
    CancelRequest,
    Instrument,
    ModifyRequest,
    OrderAmendRejected,
    OrderCancelled,
    OrderExpired,
    OrderParked,
    OrderRejected,
    OrderReleased,
    Signal,
    SignalDuplicate,
)
from sluice_proto.common import Side
from sluice_proto.order_terms import bracket_children, child_order_id
from sluice_proto.orders import OrderRejectReason
from sluice_proto.risk_state import DeferralKind, DeferredSignal, RiskOrderStatus
from sluice_risk.domain import amends
from sluice_risk.domain.checks import AMEND_CHECKS, OrderContext, first_objection, order_price
from sluice_risk.domain.deferrals import DeferralPolicy, is_ready
from sluice_risk.domain.drift import describe
from sluice_risk.domain.exposure import gross_exposure, oca_overlap, working_same_side
from sluice_risk.domain.limits import multiplier_of
from sluice_risk.domain.market import instrument_key
from sluice_risk.domain.orders import DecidedOrder
from sluice_risk.domain.state import RiskState


@dataclass(frozen=True, slots=True)
class AwaitingQuote:
    """Not decided yet: the signal waits for its instrument's first quote (nothing published)."""

    client_order_id: str
    account: str
    instrument: Instrument
    deadline: datetime


Decision = (
    ApprovedOrder
    | CancelOrder
    | OrderRejected
    | SignalDuplicate
    | OrderParked
    | OrderReleased
    | OrderExpired
    | OrderCancelled
    | AmendOrder
    | OrderAmendRejected
    | AwaitingQuote
)

_QUOTE_CODES: frozenset[OrderRejectReason] = frozenset({"NO_QUOTE", "STALE_QUOTE"})


class RiskEngine:
    """Decides; every decision about a signal is recorded in the state (its id is then seen)."""

    def __init__(
        self,
        state: RiskState,
        default_account: str | None,
        policy: DeferralPolicy | None = None,
        accounts: frozenset[str] = frozenset(),
    ) -> None:
        """``accounts``: the allow-list (``IBKR_ACCOUNTS``); empty: any account."""
        self.state = state
        self.default_account = default_account or state.limits.config.default_account
        self.policy = policy or DeferralPolicy()
        self.accounts = accounts

    def decide(self, request: Signal | CancelRequest | ModifyRequest, now: datetime) -> Decision:
        """The decision for one request at time ``now``."""
        if isinstance(request, CancelRequest):
            return self._cancel(request, now)
        if isinstance(request, ModifyRequest):
            return self._amend(request, now)
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
        if self.accounts and account not in self.accounts:
            why = f"account {account} is not in the allow-list (IBKR_ACCOUNTS)"
            return self._reject(request, account, "UNKNOWN_ACCOUNT", why, now)
        max_age = self.state.limits.for_order(account, request.symbol).max_signal_age_s
        age_s = (now - request.created_at).total_seconds()
        if age_s > max_age:
            why = (
                f"signal created {age_s:.0f}s ago (max_signal_age_s={max_age:g}): not traded; "
                "check the strategy's clock, or a backlog replayed to a new risk group"
            )
            return self._reject(request, account, "SIGNAL_TOO_OLD", why, now)
        expires_at = self.policy.expires_at(request, now)
        if now >= expires_at:
            return self._expire(request, account, expires_at, now, "expired before risk saw it")
        return self._evaluate(request, account, expires_at, now, quote_waited=False)

    def ready_accounts(self, now: datetime) -> set[str]:
        """The accounts with a deferred signal to look at again now."""
        return {
            account
            for account, deferred in self.state.deferrals
            if self._ready(account, deferred, now)
        }

    def revisit(self, account: str, now: datetime) -> list[Decision]:
        """Decide the account's deferred signals that are ready (see ``is_ready``)."""
        state = self.state
        decisions: list[Decision] = []
        killed = state.kill_reason(account) is not None
        for deferred in state.deferrals.of(account):
            signal = deferred.signal
            if not self._ready(account, deferred, now):
                continue
            if now >= deferred.expires_at:
                why = "parked past its expiry" if deferred.parked else "no decision before expiry"
                decisions.append(self._expire(signal, account, deferred.expires_at, now, why))
                continue
            released = deferred.parked and not killed  # a kill is no release: refused
            if released:
                decisions.append(self._released(signal, account, now))
            waited = deferred.kind == "quote"
            decisions.append(
                self._evaluate(
                    signal, account, deferred.expires_at, now, quote_waited=waited,
                    released=released,
                )
            )  # fmt: skip
        return decisions

    def _ready(self, account: str, deferred: DeferredSignal, now: datetime) -> bool:
        limits = self.state.limits.for_order(account, deferred.signal.symbol)
        killed = self.state.kill_reason(account) is not None
        return is_ready(
            deferred, account, self.state.market, killed, now,
            require_session=limits.require_session_state, max_quote_age_s=limits.quote_max_age_s,
        )  # fmt: skip

    def _evaluate(
        self, signal: Signal, account: str, expires_at: datetime, now: datetime, *,
        quote_waited: bool, released: bool = False,
    ) -> Decision:  # fmt: skip
        """The checks, as for a new signal; a session gap parks, a missing quote waits.

        A signal ``released`` from parking waits longer for a fresh quote: its quotes come
        back with the session, a few seconds after trading is allowed again (a restarted
        router subscribes anew), and refusing it then would lose what parking kept.
        """
        context = self._context(signal, account, now)
        if not quote_waited and (context.quote is None or not context.quote.fresh):
            self.state.want_quotes(signal.instrument, now)
        objection = first_objection(context)
        if objection is None:
            return self._approve(signal, account, expires_at, now)
        code, message = objection
        if code == "TRADING_NOT_ALLOWED" and signal.park:
            self._defer(signal, account, "session", expires_at, expires_at, parked=True)
            return OrderParked(
                **_ids(signal, account), reason=message, expires_at=expires_at, ts=now
            )
        wait = self.policy.release_quote_wait if released else self.policy.quote_wait
        if code in _QUOTE_CODES and not quote_waited and wait > timedelta(0):
            deadline = min(now + wait, expires_at)
            self._defer(signal, account, "quote", deadline, expires_at, parked=False)
            return AwaitingQuote(signal.client_order_id, account, signal.instrument, deadline)
        if code in _QUOTE_CODES:
            message = f"{message}; {self._quote_hint(signal, code)}"
        refusal = context.refusal  # an AMBIGUOUS_INSTRUMENT from it names the candidates
        candidates = refusal.candidates if refusal and code == refusal.order_reason else []
        return self._reject(signal, account, code, message, now, candidates=candidates)

    def _quote_hint(self, signal: Signal, code: OrderRejectReason) -> str:
        """What to check when a quote stays missing or stale."""
        refusal = self.state.market.refusal(signal.instrument)
        if refusal is not None:
            return f"market-data refused the subscription ({refusal})"
        waited = f"{self.policy.quote_wait.total_seconds():g}s"
        if code == "STALE_QUOTE":
            return (
                f"no fresh quote within {waited}: check market-data and the order-router's "
                "link to IBKR (session state)"
            )
        return (
            f"none arrived within {waited} of subscribing: check that market-data and the "
            f"order-router are running, that IBKR knows {signal.symbol} "
            f"({signal.sec_type}, {signal.exchange}, {signal.currency}) and the market-data "
            "line budget (SLUICE_MD_LINE_BUDGET)"
        )

    def _defer(
        self, signal: Signal, account: str, kind: DeferralKind, deadline: datetime,
        expires_at: datetime, *, parked: bool,
    ) -> None:  # fmt: skip
        deferred = DeferredSignal(
            signal=signal, kind=kind, deadline=deadline, expires_at=expires_at, parked=parked
        )
        self.state.record(_decided(signal, account, "deferred", None, deferred))

    def _released(self, signal: Signal, account: str, now: datetime) -> OrderReleased:
        session = self.state.market.session(account)
        why = f"session {session.state}" if session is not None else "no session required"
        return OrderReleased(**_ids(signal, account), reason=f"trading allowed: {why}", ts=now)

    def _expire(
        self, signal: Signal, account: str, expires_at: datetime, now: datetime, why: str
    ) -> OrderExpired:
        self.state.record(_decided(signal, account, "expired", None))
        return OrderExpired(
            **_ids(signal, account), expires_at=expires_at, reason=why, expired_by="risk", ts=now
        )

    def _cancel(
        self, request: CancelRequest, now: datetime
    ) -> CancelOrder | OrderRejected | OrderCancelled:
        order = self.state.orders.get(request.client_order_id)
        if order is not None and order.deferred is not None:  # never approved: it ends here
            signal = order.deferred.signal
            self.state.orders.set_status(order, "cancelled")
            self.state.changes.orders.add(order.client_order_id)
            why = request.reason or "cancelled before it was decided"
            return OrderCancelled(**_ids(signal, order.account), reason=why, ts=now)
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

    def _amend(self, request: ModifyRequest, now: datetime) -> AmendOrder | OrderAmendRejected:
        """Judge an amend as the order it would become; each revision is decided once."""
        order = self.state.orders.get(request.client_order_id)
        account = (order.account if order else None) or request.account or self.default_account
        if order is None or order.status == "deferred":
            why = "no approved order for this signal (a deferred one is cancelled and sent anew)"
            return amends.refused(request, order, account or "", now, ("UNKNOWN_ORDER", why))
        if request.revision <= order.revision:
            why = f"revision {request.revision} is not above {order.revision}, the last decided"
            return amends.refused(request, order, order.account, now, ("STALE_REVISION", why))
        order.revision = request.revision  # decided now, whatever the outcome: never twice
        self.state.changes.orders.add(order.client_order_id)
        if order.status != "open":
            why = f"the order is {order.status}"
            return amends.refused(request, order, order.account, now, ("ORDER_NOT_WORKING", why))
        try:
            signal = amends.becomes(order, request, now)
        except ValueError as exc:
            return amends.refused(request, order, order.account, now, ("INVALID_ORDER", str(exc)))
        context = self._context(signal, order.account, now, amending=order.client_order_id)
        if context.quote is None or not context.quote.fresh:
            self.state.want_quotes(signal.instrument, now)
        objection = first_objection(context, AMEND_CHECKS)
        if objection is not None:
            return amends.refused(request, order, order.account, now, objection)
        return amends.approved(request, order.account, now)

    def _context(
        self, signal: Signal, account: str, now: datetime, *, amending: str | None = None
    ) -> OrderContext:
        """What the checks judge ``signal`` by; ``amending``: the order the signal replaces,
        left out of the working orders."""
        state = self.state
        limits = state.limits.for_order(account, signal.symbol)
        quote = state.market.quote(signal.instrument, now, limits.quote_max_age_s)
        state.lines.need(signal.instrument, now)  # judged on its quote: keep the subscription
        key = instrument_key(signal.instrument)
        held = state.portfolio.position(account, key)
        working = [o for o in state.orders.open_orders(account) if o.client_order_id != amending]
        foreign = self._foreign(account)
        same_side = working_same_side(working, signal.side, key) + sum(
            (  # worst case: orders placed outside Sluice may fill too
                o.remaining_quantity * _direction(o.side)
                for o in foreign
                if o.side == signal.side and instrument_key(o.instrument) == key
            ),
            Decimal(0),
        )
        drift = state.drift_halt(account)
        price = order_price(signal) or (quote.price if quote else None)
        overlap = oca_overlap(
            signal, working, key, (price or Decimal(0)) * multiplier_of(signal.instrument, limits),
            lambda o: (o.limit_price or state.market.mark(o.key) or Decimal(0))
            * multiplier_of(o.instrument, limits),
        )  # fmt: skip
        return OrderContext(
            signal=signal,
            account=account,
            limits=limits,
            account_limits=state.limits.for_account(account),
            now=now,
            kill_reason=state.kill_reason(account),
            session=state.market.session(account),
            quote=quote,
            refusal=state.market.refusal(signal.instrument),
            price=price,
            position=held.quantity if held is not None else Decimal(0),
            working_same_side=same_side,
            gross_exposure=gross_exposure(state, account, working, foreign),
            open_orders=len(working) + len(foreign),
            recent_approvals=state.orders.approvals_since(
                signal.strategy_id,
                now - timedelta(seconds=limits.rate_window_s),
                limits.max_orders_per_window,
            ),
            day_realised=state.day_realised(account, now),
            drift=describe(drift) if drift is not None else None,
            legs=1 + len(bracket_children(signal)),
            oca_overlap=overlap,
        )

    def exposure(self, account: str) -> tuple[Decimal, list[BrokerOpenOrder]]:
        """The account's gross exposure as the checks count it, and the open orders at the
        broker placed outside Sluice that it includes."""
        foreign = self._foreign(account)
        working = self.state.orders.open_orders(account)
        return gross_exposure(self.state, account, working, foreign), foreign

    def _foreign(self, account: str) -> list[BrokerOpenOrder]:
        orders = self.state.orders
        return self.state.broker.foreign_orders(account, lambda ref: orders.get(ref) is not None)

    def _approve(
        self, signal: Signal, account: str, expires_at: datetime, now: datetime
    ) -> ApprovedOrder:
        self.state.record(_decided(signal, account, "open", now))
        for child in _children(signal, account, now):  # working at IBKR from now on too
            self.state.record(child)
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
            expires_at=expires_at,
            trailing_amount=signal.trailing_amount,
            trailing_percent=signal.trailing_percent,
            trail_stop_price=signal.trail_stop_price,
            limit_price_offset=signal.limit_price_offset,
            good_till=signal.good_till,
            take_profit=signal.take_profit,
            stop_loss=signal.stop_loss,
            oca_group=signal.oca_group,
            oca_type=signal.oca_type,
        )

    def _reject(
        self, signal: Signal, account: str, code: OrderRejectReason, message: str, now: datetime,
        *, candidates: list[Instrument] | None = None,
    ) -> OrderRejected:  # fmt: skip
        self.state.record(_decided(signal, account, "rejected", None))
        return OrderRejected(
            **_ids(signal, account),
            reason_code=code,
            message=message,
            ts=now,
            candidates=candidates or [],
        )


def _decided(
    signal: Signal,
    account: str,
    status: RiskOrderStatus,
    approved_at: datetime | None,
    deferred: DeferredSignal | None = None,
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
        order_type=signal.order_type,
        stop_price=signal.stop_price,
        tif=signal.tif,
        oca_group=signal.oca_group,
        deferred=deferred,
    )


def _direction(side: Side) -> int:
    return 1 if side == "BUY" else -1


def _children(signal: Signal, account: str, now: datetime) -> list[DecidedOrder]:
    """A bracket's children, one OCA group, on the other side at their own prices."""
    parent = signal.client_order_id
    return [
        DecidedOrder(
            client_order_id=child_order_id(parent, role),
            account=account,
            strategy_id=signal.strategy_id,
            signal_id=signal.signal_id,
            instrument=signal.instrument,
            side="SELL" if signal.side == "BUY" else "BUY",
            quantity=signal.quantity,
            status="open",
            limit_price=price,
            approved_at=now,
            parent=parent,
            oca_group=parent,
        )
        for role, price in bracket_children(signal)
    ]


class _Ids(TypedDict):
    client_order_id: str
    account: str
    strategy_id: str
    signal_id: str
    symbol: str


def _ids(signal: Signal, account: str) -> _Ids:
    """The fields every lifecycle event about the signal shares."""
    return {
        "client_order_id": signal.client_order_id,
        "account": account,
        "strategy_id": signal.strategy_id,
        "signal_id": signal.signal_id,
        "symbol": signal.symbol,
    }
