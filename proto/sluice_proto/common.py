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
OrderType = Literal["MKT", "LMT", "STP", "STP_LMT", "TRAIL", "TRAIL_LIMIT", "MOC", "LOC"]
TimeInForce = Literal["DAY", "GTC", "IOC", "OPG", "GTD"]
SecType = Literal["STK", "FUT", "OPT", "CASH", "IND", "CFD", "BOND", "FOP", "WAR", "CRYPTO"]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
ContractMonth = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}([0-9]{2})?$")]
"""IBKR's ``lastTradeDateOrContractMonth``: a contract month ``YYYYMM`` or a day ``YYYYMMDD``."""
Right = Literal["C", "P"]
Roll = Literal["front"]
"""A continuous-future convenience: ``front`` is the front month by the router's roll rule."""
_NEEDS_TERMS = frozenset({"OPT", "FOP"})

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
    last_trade_date_or_contract_month: ContractMonth | None = None
    """Expiry of a FUT, OPT or FOP: ``YYYYMM`` (contract month) or ``YYYYMMDD``."""
    strike: Decimal | None = None
    right: Right | None = None
    multiplier: Decimal | None = None
    """Contract multiplier (IBKR sends it as text, e.g. ``"50"``); None: unknown or 1."""
    trading_class: str | None = None
    local_symbol: str | None = None
    primary_exchange: str | None = None
    roll: Roll | None = None
    """FUT without an expiry: the router picks the month by its roll rule (docs/order-router.md)."""

    def __post_init__(self) -> None:
        require_positive("strike", self.strike)
        require_positive("multiplier", self.multiplier)
        problem = derivative_problem(self)
        if problem is not None:
            raise ValueError(problem)

    @property
    def terms(self) -> str:
        """The derivative fields that are set, as ``:name=value`` parts (empty for a stock)."""
        parts = (
            ("expiry", self.last_trade_date_or_contract_month),
            ("strike", _plain(self.strike)),
            ("right", self.right),
            ("multiplier", _plain(self.multiplier)),
            ("class", self.trading_class),
            ("local", self.local_symbol),
            ("primary", self.primary_exchange),
            ("roll", self.roll),
        )
        return "".join(f":{name}={value}" for name, value in parts if value)

    @property
    def key(self) -> str:
        """Stable partition key and cache key, e.g. ``STK:AAPL:SMART:USD`` (a derivative's
        terms follow, e.g. ``FUT:ES:CME:USD:expiry=202612``)."""
        return f"{self.sec_type}:{self.symbol}:{self.exchange}:{self.currency}{self.terms}"


def _plain(value: Decimal | None) -> str | None:
    """A decimal without exponent or trailing zeros, so ``200`` and ``200.0`` key alike."""
    return None if value is None else format(value.normalize(), "f")


def derivative_problem(instrument: Instrument) -> str | None:
    """What an instrument lacks to name one derivative contract (None when nothing).

    A conId or a local symbol names the contract by itself. Otherwise OPT and FOP need the
    expiry, strike and right; FUT needs the expiry or a ``roll`` rule (not both).
    """
    if instrument.con_id or instrument.local_symbol:
        return None
    expiry = instrument.last_trade_date_or_contract_month
    if instrument.roll is not None and instrument.sec_type != "FUT":
        return f"roll applies to FUT only, not {instrument.sec_type}"
    if instrument.sec_type == "FUT":
        if (expiry is None) == (instrument.roll is None):
            return "FUT needs last_trade_date_or_contract_month or a roll rule (one of them)"
    elif instrument.sec_type in _NEEDS_TERMS:
        missing = [
            name
            for name, value in (
                ("last_trade_date_or_contract_month", expiry),
                ("strike", instrument.strike),
                ("right", instrument.right),
            )
            if value is None
        ]
        if missing:
            return f"{instrument.sec_type} needs {', '.join(missing)}"
    return None
