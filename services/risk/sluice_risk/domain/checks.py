"""The pre-trade checks: pure functions of one order's context, each a reason to refuse it.

They run in the order of ``CHECKS``; the first that objects decides the rejection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sluice_proto import Signal
from sluice_proto.order_terms import bracket_children
from sluice_proto.orders import OrderRejectReason
from sluice_proto.session import SessionState
from sluice_risk.domain.exposure import NO_OVERLAP, Overlap
from sluice_risk.domain.limits import Limits
from sluice_risk.domain.market import QuoteView, Refusal

Objection = tuple[OrderRejectReason, str] | None


@dataclass(frozen=True, slots=True)
class OrderContext:
    """Everything the checks need to judge one new order, gathered by the engine."""

    signal: Signal
    account: str
    limits: Limits
    """Limits of this account and symbol."""
    account_limits: Limits
    """The account's own resolution: gross exposure, open orders and daily loss."""
    now: datetime
    kill_reason: str | None
    session: SessionState | None
    quote: QuoteView | None
    refusal: Refusal | None
    """Why market-data refused the instrument's quotes, if it did since they last flowed."""
    price: Decimal | None
    """Price the order's notional is valued at: its limit, its stop, or the quote."""
    position: Decimal
    working_same_side: Decimal
    """Signed quantity still working in this instrument on the order's side."""
    gross_exposure: Decimal
    open_orders: int
    recent_approvals: int
    day_realised: Decimal
    drift: str | None = None
    """What drifted from the broker's positions while the account is halted, else None."""
    legs: int = 1
    """How many broker orders the signal becomes (a bracket: the parent and its children)."""
    oca_overlap: Overlap = NO_OVERLAP
    """What the order's OCA group already counts of it (only one member fills)."""

    @property
    def signed_quantity(self) -> Decimal:
        """The order's quantity, negative for sells."""
        return self.signal.quantity if self.signal.side == "BUY" else -self.signal.quantity

    @property
    def reduces(self) -> bool:
        """The order only brings the position closer to flat.

        Judged after the same-side working orders: each of several sells may reduce a long on
        its own while together they go short past the limit.
        """
        committed = self.position + self.working_same_side
        return abs(committed + self.added_quantity) < abs(committed)

    @property
    def added_quantity(self) -> Decimal:
        """The signed quantity the order adds to the worst case (less its OCA overlap)."""
        return self.signed_quantity - self.oca_overlap.quantity

    @property
    def notional(self) -> Decimal | None:
        """Quantity x price x multiplier (the signal's own, else the limits'), when a price is
        known."""
        if self.price is None:
            return None
        return (
            self.signal.quantity * self.price * (self.signal.multiplier or self.limits.multiplier)
        )


def order_price(signal: Signal) -> Decimal | None:
    """The price the order itself names to value it at: its limit, its stop or its trail's
    starting stop (None: value it at the quote)."""
    return signal.limit_price or signal.stop_price or signal.trail_stop_price


def kill_switch(ctx: OrderContext) -> Objection:
    if ctx.kill_reason is None:
        return None
    return "KILL_SWITCH", f"kill switch is on for {ctx.account}: {ctx.kill_reason or 'no reason'}"


def position_drift(ctx: OrderContext) -> Objection:
    if ctx.drift is None:
        return None
    return "POSITION_DRIFT", (
        f"positions of {ctx.account} differ from the broker's ({ctx.drift}): new orders halted "
        "until an operator runs `sluice accept-broker`"
    )


def session(ctx: OrderContext) -> Objection:
    if ctx.session is None:
        if not ctx.limits.require_session_state:
            return None
        return "TRADING_NOT_ALLOWED", f"no session state received for {ctx.account} yet"
    if ctx.session.trading_allowed:
        return None
    return "TRADING_NOT_ALLOWED", f"session {ctx.session.state}: {ctx.session.reason}"


def symbol(ctx: OrderContext) -> Objection:
    name, limits = ctx.signal.symbol, ctx.limits
    if name in limits.denied_symbols:
        return "SYMBOL_NOT_ALLOWED", f"{name} is on the deny list of {ctx.account}"
    if limits.allowed_symbols is not None and name not in limits.allowed_symbols:
        return "SYMBOL_NOT_ALLOWED", f"{name} is not on the allow list of {ctx.account}"
    return None


def daily_loss(ctx: OrderContext) -> Objection:
    limit = ctx.account_limits.daily_loss_limit
    if ctx.day_realised > -limit:
        return None
    return "DAILY_LOSS_LIMIT", (
        f"realised loss today {-ctx.day_realised} reached the limit {limit} for {ctx.account}"
    )


def quote(ctx: OrderContext) -> Objection:
    has_limit = ctx.signal.limit_price is not None
    if has_limit and not ctx.limits.require_quote_for_limit:
        return None
    what = f"{ctx.signal.order_type} order in {ctx.signal.symbol}"
    refusal = ctx.refusal
    if refusal is not None and refusal.order_reason is not None:
        # no quote will ever come: say what is wrong with the instrument, not NO_QUOTE
        return refusal.order_reason, f"{what} refused by market-data: {refusal.message}"
    if ctx.quote is None:
        return "NO_QUOTE", f"no quote for {ctx.signal.symbol}: {what} refused"
    if not ctx.quote.fresh:
        return (
            "STALE_QUOTE",
            f"quote for {ctx.signal.symbol} is stale ({ctx.quote.age_s:.1f}s old): {what} refused",
        )
    return None


def price_collar(ctx: OrderContext) -> Objection:
    limit = ctx.signal.limit_price
    reference = ctx.quote.price if ctx.quote is not None else None
    if limit is None or reference is None:
        return None
    distance_bps = abs(limit - reference) / reference * 10_000
    if distance_bps <= ctx.limits.price_collar_bps:
        return None
    return "PRICE_COLLAR", (
        f"limit {limit} is {distance_bps:.0f} bps from the quote {reference} "
        f"(collar {ctx.limits.price_collar_bps} bps)"
    )


def order_quantity(ctx: OrderContext) -> Objection:
    if ctx.signal.quantity <= ctx.limits.max_order_quantity:
        return None
    return "MAX_ORDER_QUANTITY", (
        f"quantity {ctx.signal.quantity} exceeds {ctx.limits.max_order_quantity} "
        f"for {ctx.signal.symbol}"
    )


def order_notional(ctx: OrderContext) -> Objection:
    notional = ctx.notional
    if notional is None:
        return "INVALID_ORDER", f"no price to value the {ctx.signal.order_type} order at"
    if notional <= ctx.limits.max_order_notional:
        return None
    return "MAX_ORDER_NOTIONAL", f"notional {notional} exceeds {ctx.limits.max_order_notional}"


def bracket(ctx: OrderContext) -> Objection:
    """Each child of a bracket is an order of its own: its notional at its own price."""
    for role, price in bracket_children(ctx.signal):
        notional = ctx.signal.quantity * price * (ctx.signal.multiplier or ctx.limits.multiplier)
        if notional > ctx.limits.max_order_notional:
            name = "take-profit" if role == "tp" else "stop-loss"
            return "MAX_ORDER_NOTIONAL", (
                f"the bracket's {name} notional {notional} exceeds {ctx.limits.max_order_notional}"
            )
    return None


def position(ctx: OrderContext) -> Objection:
    worst = ctx.position + ctx.working_same_side + ctx.added_quantity
    if ctx.reduces or abs(worst) <= ctx.limits.max_position:
        return None  # reducing a position is always allowed: risk must never trap one
    return "MAX_POSITION", (
        f"position in {ctx.signal.symbol} would reach {worst} with working orders "
        f"(max {ctx.limits.max_position})"
    )


def gross_exposure(ctx: OrderContext) -> Objection:
    after = ctx.gross_exposure + (ctx.notional or Decimal(0)) - ctx.oca_overlap.notional
    limit = ctx.account_limits.max_gross_exposure
    if ctx.reduces or after <= limit:
        return None
    return (
        "MAX_GROSS_EXPOSURE",
        f"gross exposure of {ctx.account} would reach {after} (max {limit})",
    )


def open_orders(ctx: OrderContext) -> Objection:
    if ctx.open_orders + ctx.legs <= ctx.account_limits.max_open_orders:
        return None
    more = f" (the bracket adds {ctx.legs})" if ctx.legs > 1 else ""
    return "MAX_OPEN_ORDERS", f"{ctx.open_orders} orders already open for {ctx.account}{more}"


def order_rate(ctx: OrderContext) -> Objection:
    if ctx.recent_approvals < ctx.limits.max_orders_per_window:
        return None
    return "ORDER_RATE", (
        f"strategy {ctx.signal.strategy_id} had {ctx.recent_approvals} orders approved in the "
        f"last {ctx.limits.rate_window_s:g}s (max {ctx.limits.max_orders_per_window})"
    )


CHECKS: tuple[Callable[[OrderContext], Objection], ...] = (
    kill_switch,
    position_drift,
    session,
    symbol,
    daily_loss,
    quote,
    price_collar,
    order_quantity,
    order_notional,
    bracket,
    position,
    gross_exposure,
    open_orders,
    order_rate,
)


AMEND_CHECKS = tuple(check for check in CHECKS if check is not order_rate)
"""An amend is judged as the order it would become; it is no new order, so the strategy's
order rate does not apply (IBKR's message pacing is the router's)."""


def first_objection(
    ctx: OrderContext, checks: tuple[Callable[[OrderContext], Objection], ...] = CHECKS
) -> Objection:
    """The first check that refuses the order, or None when every check passes."""
    for check in checks:
        objection = check(ctx)
        if objection is not None:
            return objection
    return None
