"""Router commands (``sluice.orders.approved.v1``) and the order lifecycle
(``sluice.orders.events.v1``); both keyed by account so one account's stream stays ordered."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

import msgspec

from sluice_proto.common import (
    Instrument,
    NonEmpty,
    OrderType,
    Side,
    TimeInForce,
    UtcDatetime,
    require_positive,
    utc_now,
)
from sluice_proto.order_terms import OcaType, validate_terms

# --- commands for the router: sluice.orders.approved.v1 -----------------------------------


class ApprovedOrder(msgspec.Struct, kw_only=True, tag_field="type", tag="order_approved"):
    """A risk-approved order; the router places it at IBKR exactly once."""

    client_order_id: NonEmpty
    strategy_id: NonEmpty
    signal_id: NonEmpty
    account: NonEmpty
    instrument: Instrument
    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = "DAY"
    outside_rth: bool = False
    signal_created_at: UtcDatetime | None = None
    approved_at: UtcDatetime = msgspec.field(default_factory=utc_now)
    expires_at: UtcDatetime | None = None
    """The router never sends the order after this time (it ends ``order_expired``)."""
    trailing_amount: Decimal | None = None
    trailing_percent: Decimal | None = None
    trail_stop_price: Decimal | None = None
    limit_price_offset: Decimal | None = None
    good_till: UtcDatetime | None = None
    take_profit: Decimal | None = None
    """With ``stop_loss``: a bracket (the field meanings are the ``Signal``'s)."""
    stop_loss: Decimal | None = None
    oca_group: str | None = None
    oca_type: OcaType = 1
    parent_client_order_id: str | None = None
    """A bracket child (set by the router on the children it derives): its parent's id."""

    def __post_init__(self) -> None:
        require_positive("quantity", self.quantity)
        validate_terms(self)


class CancelOrder(msgspec.Struct, kw_only=True, tag_field="type", tag="cancel_order"):
    """Cancel one order by its client order id."""

    client_order_id: NonEmpty
    account: NonEmpty
    strategy_id: str = ""
    signal_id: str = ""
    reason: str = ""
    requested_at: UtcDatetime = msgspec.field(default_factory=utc_now)


class CancelAll(msgspec.Struct, kw_only=True, tag_field="type", tag="cancel_all"):
    """Cancel every open order of an account (the kill switch)."""

    account: NonEmpty
    reason: str = ""
    requested_at: UtcDatetime = msgspec.field(default_factory=utc_now)


class AmendOrder(msgspec.Struct, kw_only=True, tag_field="type", tag="amend_order"):
    """A risk-approved amend of a working order: the router modifies the same IBKR order
    (same order id on the socket path, the modify endpoint on REST). Only the fields given
    change; ``revision`` makes it idempotent."""

    client_order_id: NonEmpty
    account: NonEmpty
    revision: int
    strategy_id: str = ""
    signal_id: str = ""
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce | None = None
    reason: str = ""
    requested_at: UtcDatetime = msgspec.field(default_factory=utc_now)


RouterCommand = ApprovedOrder | CancelOrder | CancelAll | AmendOrder

# --- lifecycle: sluice.orders.events.v1 -----------------------------------------------------


class Fill(msgspec.Struct, kw_only=True, frozen=True):
    """One execution at IBKR with its commission."""

    exec_id: str
    quantity: Decimal
    price: Decimal
    commission: Decimal | None = None
    commission_currency: str | None = None
    executed_at: UtcDatetime = msgspec.field(default_factory=utc_now)


class _OrderEvent(msgspec.Struct, kw_only=True, tag_field="type"):
    client_order_id: NonEmpty
    account: str
    strategy_id: str = ""
    signal_id: str = ""
    symbol: str = ""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


OrderRejectReason = Literal[
    "SYMBOL_NOT_ALLOWED",
    "MAX_ORDER_QUANTITY",
    "MAX_ORDER_NOTIONAL",
    "MAX_POSITION",
    "MAX_GROSS_EXPOSURE",
    "MAX_OPEN_ORDERS",
    "ORDER_RATE",
    "PRICE_COLLAR",
    "STALE_QUOTE",
    "NO_QUOTE",
    "DAILY_LOSS_LIMIT",
    "TRADING_NOT_ALLOWED",
    "KILL_SWITCH",
    "UNKNOWN_ACCOUNT",
    "UNKNOWN_INSTRUMENT",
    "READ_ONLY",
    "INVALID_ORDER",
    "SIGNAL_TOO_OLD",
    "AMBIGUOUS_INSTRUMENT",
    "POSITION_DRIFT",
]


class OrderRejected(_OrderEvent, tag="order_rejected"):
    """Refused before reaching IBKR (by risk, or by the router's own checks)."""

    reason_code: OrderRejectReason
    message: str
    rejected_by: Literal["risk", "router"] = "risk"
    candidates: list[Instrument] = msgspec.field(default_factory=list)
    """``AMBIGUOUS_INSTRUMENT``: the contracts IBKR has that match (conId, local symbol,
    exchange, currency, expiry, strike, right, multiplier); name one of them to trade."""


class SignalDuplicate(_OrderEvent, tag="signal_duplicate"):
    """A replayed signal that was dropped: its order already exists."""

    message: str = "duplicate signal dropped"


class OrderSubmitting(_OrderEvent, tag="order_submitting"):
    """Write-ahead record: the router is about to send this order to IBKR."""

    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    con_id: int | None = None
    attempt: int = 1
    order: ApprovedOrder | None = None
    """The order itself, so a restarted router can resend it from its journal alone."""
    broker_order_id: int | None = None
    """The order id this attempt is sent with, where the client chooses it (socket path): the
    journal's high-water mark, so no id is used twice even when IBKR's sequence rolls back."""
    ibkr_floor: int | None = None
    """The lowest order id IBKR would have handed out when this attempt was sent (its
    ``nextValidId`` at connect, or past the last id it acknowledged since); a later
    ``nextValidId`` below it means IBKR started a new day and forgot the one it was sent in."""
    contract: Instrument | None = None
    """The contract the order's instrument qualified to at IBKR (conId, expiry, strike, ...);
    for a continuous future, the month the roll rule chose."""


class OrderHeld(_OrderEvent, tag="order_held"):
    """The router holds the order (disconnected, session degraded); it is not lost."""

    reason: str
    order: ApprovedOrder | None = None
    """The order itself, so a restarted router can send it from its journal alone."""
    unknown: bool = False
    """IBKR may have had the order before its day rolled over (a gateway restart): it is
    never sent again; only IBKR reporting it by ``orderRef`` settles it."""


class OrderSubmitted(_OrderEvent, tag="order_submitted"):
    """IBKR acknowledged the order and gave it ids."""

    broker_order_id: int | str
    perm_id: int | None = None
    adopted: bool = False
    """True when reconciliation found the order at IBKR instead of sending it again."""


class OrderAccepted(_OrderEvent, tag="order_accepted"):
    """The order is working at IBKR (``Submitted`` / ``PreSubmitted``)."""

    broker_order_id: int | str
    status: str = "Submitted"


class OrderPartiallyFilled(_OrderEvent, tag="order_partially_filled"):
    """Some quantity executed; ``remaining`` is still working."""

    fill: Fill
    filled_quantity: Decimal
    remaining_quantity: Decimal
    avg_fill_price: Decimal
    side: Side | None = None


class OrderFilled(_OrderEvent, tag="order_filled"):
    """Completely filled; carries the last fill."""

    fill: Fill
    filled_quantity: Decimal
    avg_fill_price: Decimal
    side: Side | None = None


class OrderCancelled(_OrderEvent, tag="order_cancelled"):
    """Cancelled at IBKR (or expired, for IOC/DAY)."""

    filled_quantity: Decimal = Decimal(0)
    reason: str = ""


class OrderBrokerRejected(_OrderEvent, tag="order_broker_rejected"):
    """IBKR refused the order; ``code`` and ``text`` are IBKR's own."""

    code: int | None
    text: str


class CancelRejected(_OrderEvent, tag="cancel_rejected"):
    """A cancel that could not be carried out (unknown or already final order)."""

    code: int | None = None
    text: str = ""


class SweptOrder(msgspec.Struct, kw_only=True, frozen=True):
    """One open order at IBKR that a ``CancelAll`` asked IBKR to cancel, whoever placed it."""

    broker_order_id: str
    account: str = ""
    order_ref: str = ""
    """Sluice's ``client_order_id`` for its own orders; empty for one placed by hand."""
    client_id: int | None = None
    """The API client that placed it (socket path); None where IBKR does not say."""
    symbol: str = ""
    side: Side | None = None
    remaining_quantity: Decimal | None = None
    refused: str = ""
    """IBKR's text when it refused this order's cancel (empty: the cancel was sent)."""


class CancelAllSwept(msgspec.Struct, kw_only=True, tag_field="type", tag="cancel_all_swept"):
    """The router's cancel at IBKR of every open order of the account (``CancelAll`` with the
    router's kill scope ``all``): what it covered, Sluice's orders and others' alike. The
    outcome of each of Sluice's orders still follows as its own lifecycle event."""

    account: NonEmpty
    reason: str = ""
    orders: list[SweptOrder] = msgspec.field(default_factory=list)
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class OrderParked(_OrderEvent, tag="order_parked"):
    """Risk holds the signal while trading is not allowed; it ends released or expired."""

    reason: str
    expires_at: UtcDatetime


class OrderReleased(_OrderEvent, tag="order_released"):
    """Trading is allowed again: the parked signal is checked by risk as if new."""

    reason: str = ""


class OrderExpired(_OrderEvent, tag="order_expired"):
    """The order's expiry passed before it was sent: it never reaches IBKR (final)."""

    expires_at: UtcDatetime | None = None
    reason: str = ""
    expired_by: Literal["risk", "router"] = "risk"


class ReplyPromptAudit(_OrderEvent, tag="reply_prompt"):
    """A Client Portal reply prompt and what the router answered."""

    reply_id: str
    message_ids: list[str]
    text: list[str]
    decision: Literal["confirmed", "declined"]


class RouterStarted(msgspec.Struct, kw_only=True, tag_field="type", tag="router_started"):
    """Retired internal mark: order-routers once published it at start and read their journal
    up to it; they now use ``Bus.replay``. No longer published; kept so old records decode.
    """

    account: NonEmpty
    instance_id: NonEmpty
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


AmendRejectReason = Literal[
    OrderRejectReason,
    "STALE_REVISION",
    "UNKNOWN_ORDER",
    "ORDER_NOT_WORKING",
    "BROKER_REJECTED",
]
"""Why an amend was not carried out: risk's checks of the order it would become, a revision
already decided, an order unknown or no longer working, or IBKR's refusal (its code and text
in the event), e.g. the order filled first."""


class _AmendEvent(_OrderEvent, kw_only=True):
    revision: int
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce | None = None


class OrderAmendSubmitting(_AmendEvent, tag="order_amend_submitting"):
    """Write-ahead record: the router is about to send this amend to IBKR (the fields are the
    requested changes)."""

    order: ApprovedOrder | None = None
    """The order as the amend makes it, so a restarted router can finish the amend from its
    journal alone."""
    broker_order_id: int | str | None = None


class OrderAmended(_AmendEvent, tag="order_amended"):
    """IBKR took the amend: the fields are the order now in force, under the same broker id."""

    broker_order_id: int | str | None = None
    order: ApprovedOrder | None = None


class OrderAmendRejected(_AmendEvent, kw_only=True, tag="order_amend_rejected"):
    """An amend that was not carried out; the order stays as it was (the fields are the
    requested changes)."""

    reason_code: AmendRejectReason
    message: str
    rejected_by: Literal["risk", "router", "broker"] = "risk"
    code: int | None = None
    """IBKR's error code when IBKR refused it (e.g. 104, the order filled first)."""


OrderEvent = (
    OrderRejected
    | SignalDuplicate
    | OrderSubmitting
    | OrderHeld
    | OrderSubmitted
    | OrderAccepted
    | OrderPartiallyFilled
    | OrderFilled
    | OrderCancelled
    | OrderBrokerRejected
    | CancelRejected
    | ReplyPromptAudit
    | RouterStarted
    | OrderParked
    | OrderReleased
    | OrderExpired
    | CancelAllSwept
    | OrderAmendSubmitting
    | OrderAmended
    | OrderAmendRejected
)

FinalStatus = Literal["filled", "cancelled", "rejected", "expired"]
"""Where an order's lifecycle ends: nothing more happens to an order in one of these."""

FINAL_STATUSES: frozenset[FinalStatus] = frozenset(get_args(FinalStatus))

_FINAL_BY_EVENT: dict[type[object], FinalStatus] = {
    OrderFilled: "filled",
    OrderCancelled: "cancelled",
    OrderRejected: "rejected",
    OrderBrokerRejected: "rejected",
    OrderExpired: "expired",
}


def final_status(event: object) -> FinalStatus | None:
    """The final status ``event`` puts its order in; None while the order may still change."""
    return _FINAL_BY_EVENT.get(type(event))
