"""Historical bars: market-data asks the router, the router answers (internal request/reply).

Bar sizes and durations are the contract's own compact spellings (``5m``, ``1D``); the router
alone turns them into IBKR's. ``parse_bar_size`` and ``parse_duration`` are the one reading of
them, for market-data's validation and the router's mapping alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from sluice_proto.common import Instrument, NonEmpty, UtcDatetime, utc_now

WhatToShow = Literal["TRADES", "MIDPOINT", "BID", "ASK"]

BAR_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2_592_000}
"""Bar size units (lower case; ``mo`` is a month of 30 days) in seconds."""
DURATION_UNITS: dict[str, int] = {
    "S": 1,
    "D": 86400,
    "W": 604800,
    "M": 2_592_000,
    "Y": 31_536_000,
}
"""Duration units (upper case: ``M`` is a month, as IBKR's ``<n> M``) in seconds."""

_SPELLING = re.compile(r"^\s*(\d+)\s*([A-Za-z]+)\s*$")


def _parse(text: str, units: dict[str, int]) -> tuple[int, str] | None:
    found = _SPELLING.match(text)
    if found is None or int(found[1]) <= 0 or found[2] not in units:
        return None
    return int(found[1]), found[2]


def parse_bar_size(text: str) -> tuple[int, str] | None:
    """``"5m"`` -> ``(5, "m")``; None unless ``<positive integer><s|m|h|d|w|mo>``."""
    return _parse(text, BAR_UNITS)


def parse_duration(text: str) -> tuple[int, str] | None:
    """``"1D"`` -> ``(1, "D")``; None unless ``<positive integer><S|D|W|M|Y>``."""
    return _parse(text, DURATION_UNITS)


class HistoryRequest(msgspec.Struct, kw_only=True, tag_field="type", tag="history_request"):
    """Internal ``sluice.md.history.requests.v1``: market-data asks the router for bars.

    ``end`` None means "up to now" (an open window); ``expires_at`` is when the asker stops
    waiting: the router neither sends it to the broker nor answers it after that.
    """

    request_id: NonEmpty
    instrument: Instrument
    duration: NonEmpty
    bar_size: NonEmpty
    end: UtcDatetime | None = None
    what_to_show: WhatToShow = "TRADES"
    use_rth: bool = True
    expires_at: UtcDatetime | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    """One bar, starting at ``start``; ``volume``, ``wap`` and ``count`` are None for
    quote-based data (``MIDPOINT``, ``BID``, ``ASK``)."""

    start: UtcDatetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal | None = None
    wap: Decimal | None = None
    count: int | None = None


class HistoryBars(msgspec.Struct, kw_only=True, tag_field="type", tag="history_bars"):
    """Internal ``sluice.md.history.replies.v1``: the bars of a request, oldest first."""

    request_id: NonEmpty
    instrument: Instrument
    bars: list[Bar]
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


HistoryRejectReason = Literal[
    "PACING",
    "INVALID_REQUEST",
    "UNKNOWN_INSTRUMENT",
    "NOT_SUBSCRIBED",
    "NO_PERMISSION",
    "NO_DATA",
    "NOT_CONNECTED",
    "TIMEOUT",
    "BROKER_ERROR",
]
"""Why no bars came: the broker's historical pacing would be broken (``PACING``: the router
would have to wait past the request's expiry, or the broker said so anyway), the request is
invalid for the broker, the instrument is unknown, no market-data subscription or permission,
no data for the window, the broker link is down, nobody answered in time (``TIMEOUT``,
market-data's own), or another broker error."""


class HistoryRejected(msgspec.Struct, kw_only=True, tag_field="type", tag="history_rejected"):
    """Internal ``sluice.md.history.replies.v1``: a request that got no bars, and why."""

    request_id: NonEmpty
    instrument: Instrument
    reason: HistoryRejectReason
    message: str
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


HistoryReply = HistoryBars | HistoryRejected


def closed_window(request: HistoryRequest, now: datetime) -> bool:
    """True when the request's window is wholly in the past: its bars can never change."""
    return request.end is not None and request.end <= now
