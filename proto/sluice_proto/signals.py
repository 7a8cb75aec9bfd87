"""``sluice.signals.v1``: what strategies publish (key: ``strategy_id``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

from sluice_proto.common import (
    ContractMonth,
    Instrument,
    NonEmpty,
    OrderType,
    Right,
    Roll,
    SecType,
    Side,
    TimeInForce,
    UtcDatetime,
    client_order_id,
    require_positive,
    utc_now,
)
from sluice_proto.order_terms import OcaType, validate_terms

_PRICE_REQUIRED: dict[str, tuple[str, ...]] = {
    "MKT": (),
    "LMT": ("limit_price",),
    "STP": ("stop_price",),
    "STP_LMT": ("limit_price", "stop_price"),
    "TRAIL": (),
    "TRAIL_LIMIT": (),
    "MOC": (),
    "LOC": ("limit_price",),
}


class Signal(msgspec.Struct, kw_only=True, tag_field="type", tag="signal"):
    """A request to trade; ``(strategy_id, signal_id)`` is its idempotency key."""

    signal_id: NonEmpty
    strategy_id: NonEmpty
    symbol: NonEmpty
    side: Side
    quantity: Decimal
    order_type: OrderType
    account: str | None = None
    sec_type: SecType = "STK"
    exchange: NonEmpty = "SMART"
    currency: str = "USD"
    con_id: int | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = "DAY"
    outside_rth: bool = False
    created_at: UtcDatetime = msgspec.field(default_factory=utc_now)
    park: bool = True
    """While trading is not allowed (session down, reset window), park the signal until it is
    (``order_parked``, then ``order_released`` or ``order_expired``); False: reject it at once
    (``TRADING_NOT_ALLOWED``). True by default, as Sluice promises that orders are held, not
    lost, through session gaps; the expiry bounds how long."""
    expires_at: UtcDatetime | None = None
    """No order is sent for this signal after this time (parked, held or in doubt: it ends
    ``order_expired``). None: risk's default lifetime for the order type."""
    last_trade_date_or_contract_month: ContractMonth | None = None
    """FUT, OPT, FOP: the expiry, ``YYYYMM`` or ``YYYYMMDD`` (see ``Instrument``)."""
    strike: Decimal | None = None
    right: Right | None = None
    multiplier: Decimal | None = None
    trading_class: str | None = None
    local_symbol: str | None = None
    primary_exchange: str | None = None
    roll: Roll | None = None
    """FUT without an expiry: ``front`` trades the front month by the router's roll rule."""
    trailing_amount: Decimal | None = None
    """TRAIL, TRAIL_LIMIT: how far the stop trails the market, in price."""
    trailing_percent: Decimal | None = None
    """TRAIL, TRAIL_LIMIT: how far the stop trails the market, in percent of it."""
    trail_stop_price: Decimal | None = None
    """TRAIL, TRAIL_LIMIT: the stop to start from (None: IBKR starts from the market)."""
    limit_price_offset: Decimal | None = None
    """TRAIL_LIMIT: the limit price's distance from the stop once triggered."""
    good_till: UtcDatetime | None = None
    """tif GTD: the order is cancelled at IBKR at this time."""
    take_profit: Decimal | None = None
    """Bracket: a limit order on the other side at this price, working once this one fills."""
    stop_loss: Decimal | None = None
    """Bracket: a stop order on the other side at this price, working once this one fills;
    the take-profit and the stop-loss are one OCA group (one filling cancels the other)."""
    oca_group: str | None = None
    """Independent orders naming one group are one-cancels-all at IBKR (not for brackets)."""
    oca_type: OcaType = 1
    """IBKR's ``ocaType`` for ``oca_group``: 1 cancel the others, 2 or 3 reduce them."""

    def __post_init__(self) -> None:
        require_positive("quantity", self.quantity)
        require_positive("limit_price", self.limit_price)
        require_positive("stop_price", self.stop_price)
        for name in _PRICE_REQUIRED[self.order_type]:
            if getattr(self, name) is None:
                raise ValueError(f"{name} is required for order_type {self.order_type}")
        self.instrument  # noqa: B018 -- builds (so validates) the derivative fields
        validate_terms(self)

    @property
    def client_order_id(self) -> str:
        """The deterministic broker-side order reference for this signal."""
        return client_order_id(self.strategy_id, self.signal_id)

    @property
    def instrument(self) -> Instrument:
        """The signal's instrument fields as one value."""
        return Instrument(
            symbol=self.symbol,
            sec_type=self.sec_type,
            exchange=self.exchange,
            currency=self.currency,
            con_id=self.con_id,
            last_trade_date_or_contract_month=self.last_trade_date_or_contract_month,
            strike=self.strike,
            right=self.right,
            multiplier=self.multiplier,
            trading_class=self.trading_class,
            local_symbol=self.local_symbol,
            primary_exchange=self.primary_exchange,
            roll=self.roll,
        )


class CancelRequest(msgspec.Struct, kw_only=True, tag_field="type", tag="cancel_request"):
    """Cancel the order a strategy's earlier signal created. Cancels always pass risk."""

    strategy_id: NonEmpty
    signal_id: NonEmpty
    account: str | None = None
    reason: str = ""
    created_at: UtcDatetime = msgspec.field(default_factory=utc_now)

    @property
    def client_order_id(self) -> str:
        """The order reference of the signal being cancelled."""
        return client_order_id(self.strategy_id, self.signal_id)


class ModifyRequest(msgspec.Struct, kw_only=True, tag_field="type", tag="modify_request"):
    """Amend the working order a strategy's earlier signal created: its quantity, limit price,
    stop price or time in force (at least one). Idempotent per ``(strategy_id, signal_id,
    revision)``: a revision at or below the last one decided is refused (``STALE_REVISION``)
    and never amends. Risk checks the order again as it would become."""

    strategy_id: NonEmpty
    signal_id: NonEmpty
    revision: Annotated[int, msgspec.Meta(ge=1)]
    """1 for the first amend of the order, higher for each later one."""
    quantity: Decimal | None = None
    """The new total quantity (filled shares included, as IBKR counts it)."""
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce | None = None
    account: str | None = None
    reason: str = ""
    created_at: UtcDatetime = msgspec.field(default_factory=utc_now)

    def __post_init__(self) -> None:
        require_positive("quantity", self.quantity)
        require_positive("limit_price", self.limit_price)
        require_positive("stop_price", self.stop_price)
        changes = (self.quantity, self.limit_price, self.stop_price, self.tif)
        if all(change is None for change in changes):
            raise ValueError(
                "a modify request changes at least one of quantity, limit_price, stop_price, tif"
            )

    @property
    def client_order_id(self) -> str:
        """The order reference of the signal being amended."""
        return client_order_id(self.strategy_id, self.signal_id)


SignalsEvent = Signal | CancelRequest | ModifyRequest
