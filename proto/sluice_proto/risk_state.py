"""``sluice.risk.state.v1`` (compacted): positions and PnL, and the risk service's changelog.

``PositionState`` (key ``account|instrument``) is for anyone to read. ``RiskOrderState``
(key ``order|<client_order_id>``) and ``RiskAccountState`` (key ``account|<account>``) are the
rest of the risk service's decision state, written in the same Kafka transaction as the
decisions that changed it, so a restarted risk service resumes exactly where it committed.

``DeferralCheck`` travels on the internal ``sluice.risk.deferrals.v1``: risk's own wake-up
call, so that releasing or expiring a deferred signal is decided in a transaction like any
other decision.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import msgspec

from sluice_proto.common import (
    Instrument,
    NonEmpty,
    OrderType,
    Side,
    TimeInForce,
    UtcDatetime,
    utc_now,
)
from sluice_proto.orders import FinalStatus
from sluice_proto.signals import Signal


class PositionState(msgspec.Struct, kw_only=True, tag_field="type", tag="position_state"):
    """One account's position in one instrument, marked to the latest quote."""

    account: str
    instrument: Instrument
    quantity: Decimal
    avg_cost: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    mark_price: Decimal | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


RiskOrderStatus = Literal["deferred", "open", FinalStatus]
"""``deferred``: the signal waits (for its first quote, or parked through a session gap)."""

DeferralKind = Literal["quote", "session"]


class DeferredSignal(msgspec.Struct, kw_only=True):
    """A signal risk has not decided yet, and what it waits for."""

    signal: Signal
    kind: DeferralKind
    """``quote``: the instrument's first quote; ``session``: trading to be allowed (parked)."""
    deadline: UtcDatetime
    """``quote``: decide then, quote or not; ``session``: the expiry."""
    expires_at: UtcDatetime
    parked: bool = False
    """``order_parked`` was published: the wait ends ``order_released`` or ``order_expired``."""


class RiskOrderState(msgspec.Struct, kw_only=True, tag_field="type", tag="risk_order_state"):
    """One signal as risk decided it and the order it became (also the seen-signal record)."""

    client_order_id: NonEmpty
    account: str
    strategy_id: str
    signal_id: str
    instrument: Instrument
    side: Side
    quantity: Decimal
    status: RiskOrderStatus
    limit_price: Decimal | None = None
    filled_quantity: Decimal = Decimal(0)
    avg_fill_price: Decimal = Decimal(0)
    approved_at: UtcDatetime | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
    deferred: DeferredSignal | None = None
    """While ``status`` is ``deferred``: the signal itself, so a restart resumes the wait."""
    con_id: int | None = None
    """IBKR's conId of the contract the order went out as (from ``order_submitting``): how
    the broker's positions are matched with the book when the names differ (a derivative)."""
    order_type: OrderType | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce | None = None
    revision: int = 0
    """The last amend revision risk decided for the order (0: never amended)."""
    parent_client_order_id: str | None = None
    """A bracket child: its parent's client order id."""
    oca_group: str | None = None
    """The order's one-cancels-all group (a bracket's children share one)."""


class PositionDrift(msgspec.Struct, kw_only=True, frozen=True):
    """One instrument whose position at the broker differs from risk's book."""

    instrument: Instrument
    book: Decimal
    """Risk's position, from Sluice's own fills."""
    broker: Decimal
    """The broker's position (``sluice.broker.truth.v1``)."""


class RiskAccountState(msgspec.Struct, kw_only=True, tag_field="type", tag="risk_account_state"):
    """An account's kill switch and realised PnL of the trading day (``*``: every account)."""

    account: NonEmpty
    killed: bool = False
    kill_reason: str = ""
    trading_day: date | None = None
    day_realised_pnl: Decimal = Decimal(0)
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
    drift: list[PositionDrift] = msgspec.field(default_factory=list)
    """Non-empty while new orders of the account are halted (``POSITION_DRIFT``) until an
    operator accepts the broker's figures (``AcceptBroker``)."""


RiskStateEvent = PositionState | RiskOrderState | RiskAccountState


class DeferralCheck(msgspec.Struct, kw_only=True, tag_field="type", tag="deferral_check"):
    """Internal ``sluice.risk.deferrals.v1``: look again at the account's deferred signals."""

    account: NonEmpty
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
