"""Market data: public subscriptions and quotes, plus the router's internal request/tick topics."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from sluice_proto.common import Instrument, NonEmpty, UtcDatetime, utc_now


class MdSubscribe(msgspec.Struct, kw_only=True, tag_field="type", tag="md_subscribe"):
    """``sluice.md.subscriptions.v1``: a subscriber wants quotes for an instrument."""

    subscriber_id: NonEmpty
    instrument: Instrument
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class MdUnsubscribe(msgspec.Struct, kw_only=True, tag_field="type", tag="md_unsubscribe"):
    """``sluice.md.subscriptions.v1``: a subscriber no longer needs the instrument."""

    subscriber_id: NonEmpty
    instrument: Instrument
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


SubscriptionEvent = MdSubscribe | MdUnsubscribe


class _TopOfBook(msgspec.Struct, kw_only=True):
    instrument: Instrument
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last_size: Decimal | None = None


class Quote(_TopOfBook, tag_field="type", tag="quote"):
    """``sluice.md.quotes.v1``: a normalised, conflated top-of-book quote."""

    stale: bool = False
    source_ts: UtcDatetime | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


MdRefusalReason = Literal[
    "LINE_LIMIT", "NOT_SUBSCRIBED", "NO_PERMISSION", "UNKNOWN_INSTRUMENT", "AMBIGUOUS_INSTRUMENT"
]
"""Why the broker will not stream an instrument, in the contract's words (the router maps the
broker's own codes to these; ``AMBIGUOUS_INSTRUMENT``: several contracts fit, so none is
streamed)."""

SubscriptionRejectReason = Literal[
    "LINE_BUDGET_EXHAUSTED",
    "BROKER_ERROR",
    "UNKNOWN_INSTRUMENT",
    "LINE_LIMIT",
    "NOT_SUBSCRIBED",
    "NO_PERMISSION",
    "AMBIGUOUS_INSTRUMENT",
]
"""Why market-data refused a subscription: its own line budget is full
(``LINE_BUDGET_EXHAUSTED``), or the broker refused the stream (an ``MdRefusalReason``: the
account has fewer lines than configured, no market-data subscription, no permission, unknown
or ambiguous instrument). ``BROKER_ERROR`` is no longer sent; it stays for events written
before the broker's reasons were added."""


class MdSubscriptionRejected(
    msgspec.Struct, kw_only=True, tag_field="type", tag="md_subscription_rejected"
):
    """``sluice.md.quotes.v1``: a subscription could not be served (line budget, unknown)."""

    instrument: Instrument
    subscriber_id: str
    reason_code: SubscriptionRejectReason
    message: str
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
    candidates: list[Instrument] = msgspec.field(default_factory=list)
    """``AMBIGUOUS_INSTRUMENT``: the contracts IBKR has that match, as on ``OrderRejected``;
    subscribe to one of them."""


QuoteEvent = Quote | MdSubscriptionRejected


class MdStart(msgspec.Struct, kw_only=True, tag_field="type", tag="md_start"):
    """Internal ``sluice.md.requests.v1``: market-data asks the router to stream an instrument."""

    instrument: Instrument
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class MdStop(msgspec.Struct, kw_only=True, tag_field="type", tag="md_stop"):
    """Internal ``sluice.md.requests.v1``: stop streaming an instrument."""

    instrument: Instrument
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


MdRequest = MdStart | MdStop


class MdTick(_TopOfBook, tag_field="type", tag="md_tick"):
    """Internal ``sluice.md.ticks.v1``: raw prices the router relays from IBKR.

    A tick that carries an error has ``error_text`` (the broker's words, for people) and, when
    the broker refused the stream for good, ``reason``. Consumers decide on ``reason`` alone;
    ``error_code`` is the broker's raw code, kept for diagnostics.
    """

    error_code: int | None = None
    error_text: str | None = None
    reason: MdRefusalReason | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
    candidates: list[Instrument] = msgspec.field(default_factory=list)
    """``reason`` ``AMBIGUOUS_INSTRUMENT``: the contracts that fit (market-data relays them)."""
