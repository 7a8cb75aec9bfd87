"""Order and execution types of the paper venue (independent of any wire protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    """IBKR's order status names."""

    PRE_SUBMITTED = "PreSubmitted"
    SUBMITTED = "Submitted"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    API_CANCELLED = "ApiCancelled"
    INACTIVE = "Inactive"

    @property
    def is_done(self) -> bool:
        return self in _DONE


_DONE = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.API_CANCELLED, OrderStatus.INACTIVE}
)

ORDER_TYPES = frozenset({"MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC"})
TIFS = frozenset({"DAY", "GTC", "IOC", "OPG", "GTD"})
TRAILING = frozenset({"TRAIL", "TRAIL LIMIT"})
AT_CLOSE = frozenset({"MOC", "LOC"})


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """What a client asks for. ``(client_id, order_id)`` names the order for that client."""

    client_id: int
    order_id: int
    account: str
    con_id: int
    action: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: str = "DAY"
    order_ref: str = ""
    outside_rth: bool = False
    trailing_amount: Decimal | None = None
    trailing_percent: Decimal | None = None
    trail_stop_price: Decimal | None = None
    """A trailing order's starting stop (None: from the market when it is placed)."""
    limit_price_offset: Decimal | None = None
    """TRAIL LIMIT: the limit's distance beyond the stop once triggered."""
    good_till: datetime | None = None
    """tif GTD: cancelled by the venue at this time."""
    parent_id: int = 0
    """A bracket child: the parent's order id (same client); it works once the parent fills."""
    oca_group: str = ""
    oca_type: int = 0

    @property
    def sign(self) -> int:
        return 1 if self.action == "BUY" else -1


@dataclass(slots=True)
class VenueOrder:
    """A working or finished order and its fill progress."""

    spec: OrderSpec
    perm_id: int
    created_at: datetime
    status: OrderStatus = OrderStatus.SUBMITTED
    filled: Decimal = Decimal(0)
    avg_fill_price: Decimal = Decimal(0)
    last_fill_price: Decimal = Decimal(0)
    triggered: bool = False
    trail_stop: Decimal | None = None
    """A trailing order's current stop (it follows the quote, never back)."""
    completed_at: datetime | None = None
    completed_status: str = ""
    executions: list[Execution] = field(default_factory=list)
    modifications: int = 0
    """How many modifies the order took (tests check none was sent twice)."""

    @property
    def remaining(self) -> Decimal:
        return self.spec.quantity - self.filled if not self.status.is_done else Decimal(0)

    @property
    def key(self) -> tuple[int, int]:
        return (self.spec.client_id, self.spec.order_id)


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill, with the commission charged for it."""

    exec_id: str
    perm_id: int
    order_id: int
    client_id: int
    con_id: int
    account: str
    side: str  # BOT | SLD
    shares: Decimal
    price: Decimal
    cum_qty: Decimal
    avg_price: Decimal
    time: datetime
    order_ref: str
    exchange: str
    commission: Decimal
    commission_currency: str
    realized_pnl: Decimal | None = None


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The margin and commission impact an order would have (nothing is placed)."""

    init_margin_before: Decimal
    maint_margin_before: Decimal
    equity_with_loan_before: Decimal
    init_margin_change: Decimal
    maint_margin_change: Decimal
    equity_with_loan_change: Decimal
    init_margin_after: Decimal
    maint_margin_after: Decimal
    equity_with_loan_after: Decimal
    commission: Decimal
    commission_currency: str
    warning: str = ""
