"""Shared field types and helpers for every event."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

UtcDatetime = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 timestamp, UTC")]
"""A timezone-aware timestamp; producers send UTC (``utc_now``)."""

Side = Literal["BUY", "SELL"]
OrderType = Literal["MKT", "LMT", "STP", "STP_LMT"]
TimeInForce = Literal["DAY", "GTC", "IOC"]
SecType = Literal["STK", "FUT", "OPT", "CASH", "IND", "CFD", "BOND", "FOP", "WAR", "CRYPTO"]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]

SCHEMA_VERSION = 1
"""Carried in the ``sluice-schema-version`` header; bumped only with a new topic version."""

# The record headers every producer writes (docs/events.md); defined once here, for the bus
# and the client alike.
HEADER_EVENT_TYPE = "sluice-event-type"
HEADER_SCHEMA_VERSION = "sluice-schema-version"
HEADER_EVENT_ID = "sluice-event-id"
HEADER_PRODUCER = "sluice-producer"


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def require_positive(name: str, value: Decimal | None) -> None:
    """Raise ``ValueError`` (a msgspec validation error on decode) unless value > 0."""
    if value is not None and (not value.is_finite() or value <= 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")


def client_order_id(strategy_id: str, signal_id: str) -> str:
    """The idempotency key sent to IBKR as ``orderRef`` / ``cOID``.

    Deterministic in ``(strategy_id, signal_id)`` so that replaying a signal can never
    create a second broker order; short and ASCII-only because IBKR echoes it back verbatim.
    """
    digest = hashlib.sha256(f"{strategy_id}\x1f{signal_id}".encode()).hexdigest()
    return f"sl-{digest[:24]}"


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """What to trade, as IBKR identifies it; ``con_id`` skips the qualification lookup."""

    symbol: NonEmpty
    sec_type: SecType = "STK"
    exchange: NonEmpty = "SMART"
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "USD"
    con_id: int | None = None

    @property
    def key(self) -> str:
        """Stable partition key and cache key, e.g. ``STK:AAPL:SMART:USD``."""
        return f"{self.sec_type}:{self.symbol}:{self.exchange}:{self.currency}"
