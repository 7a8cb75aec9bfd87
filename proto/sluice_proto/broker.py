"""``sluice.broker.truth.v1`` (compacted, key: account): what the broker itself holds.

The order-router publishes a ``BrokerTruth`` on every (re)connect and on a period: the
account's positions, every open order whoever placed it (Sluice, an earlier client id, another
program, a hand in TWS or the portal) and the account summary. It is broker-neutral: the
router translates IBKR's messages into it. Risk compares it with its own book (built from
Sluice's fills) and counts the foreign orders toward exposure (docs/risk.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from sluice_proto.common import Instrument, NonEmpty, Side, UtcDatetime, utc_now


class BrokerPosition(msgspec.Struct, kw_only=True, frozen=True):
    """The broker's position in one instrument (signed: short < 0)."""

    instrument: Instrument
    quantity: Decimal
    avg_cost: Decimal | None = None
    """Per unit (before the contract multiplier); None where the broker does not say."""


class BrokerOpenOrder(msgspec.Struct, kw_only=True, frozen=True):
    """One order working at the broker, whoever placed it."""

    broker_order_id: str
    instrument: Instrument
    side: Side
    remaining_quantity: Decimal
    order_ref: str = ""
    """Sluice's ``client_order_id`` for its own orders; empty for one placed by hand."""
    client_id: int | None = None
    """The API client that placed it (socket path; 0 is TWS itself); None where not said."""
    order_type: str = ""
    limit_price: Decimal | None = None


class AccountSummary(msgspec.Struct, kw_only=True, frozen=True):
    """The account's headline figures in its base currency, as far as the broker reports them."""

    currency: str = ""
    net_liquidation: Decimal | None = None
    buying_power: Decimal | None = None
    available_funds: Decimal | None = None
    excess_liquidity: Decimal | None = None
    total_cash: Decimal | None = None
    gross_position_value: Decimal | None = None
    init_margin: Decimal | None = None
    maint_margin: Decimal | None = None


BrokerTruthCause = Literal["connect", "periodic"]


class BrokerTruth(msgspec.Struct, kw_only=True, tag_field="type", tag="broker_truth"):
    """One account as the broker holds it at ``ts``: positions, open orders, summary."""

    account: NonEmpty
    positions: list[BrokerPosition] = msgspec.field(default_factory=list)
    open_orders: list[BrokerOpenOrder] = msgspec.field(default_factory=list)
    summary: AccountSummary = msgspec.field(default_factory=AccountSummary)
    cause: BrokerTruthCause = "periodic"
    """``connect``: taken right after a (re)connect and its reconcile; ``periodic``: on the
    router's period (``SLUICE_ROUTER_BROKER_TRUTH_S``)."""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class BrokerPnl(msgspec.Struct, kw_only=True, tag_field="type", tag="broker_pnl"):
    """The account's PnL as the broker computes it, in its base currency (a figure the broker
    does not give is None). Published when it changes, at most once a second per account;
    keyed ``<account>/pnl`` so compaction keeps it beside the account's ``BrokerTruth``."""

    account: NonEmpty
    daily_pnl: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    realized_pnl: Decimal | None = None
    net_liquidation: Decimal | None = None
    market_value: Decimal | None = None
    """The positions' market value."""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


def broker_pnl_key(account: str) -> str:
    """The key of an account's ``BrokerPnl`` (its truth is keyed by the account alone)."""
    return f"{account}/pnl"


BrokerEvent = BrokerTruth | BrokerPnl
