"""Historical requests in IBKR's words, and IBKR's refusals in the contract's.

The contract spells bar sizes and durations compactly (``5m``, ``1D``); the socket API wants
``"5 mins"`` / ``"1 D"``, the Client Portal ``bar=5min`` / ``period=1d``. Only the router knows
either spelling.
"""

from __future__ import annotations

from collections.abc import Hashable

from sluice_order_router.domain.history_pacing import PacingKey
from sluice_proto.history import (
    HistoryRejectReason,
    HistoryRequest,
    parse_bar_size,
    parse_duration,
)

# TWS API "Historical Bar Sizes": the legal barSizeSetting values, by (amount, unit).
_TWS_BARS: dict[tuple[int, str], str] = {
    **{(n, "s"): f"{n} secs" for n in (1, 5, 10, 15, 30)},
    (1, "m"): "1 min",
    **{(n, "m"): f"{n} mins" for n in (2, 3, 5, 10, 15, 20, 30)},
    (1, "h"): "1 hour",
    **{(n, "h"): f"{n} hours" for n in (2, 3, 4, 8)},
    (1, "d"): "1 day",
    (1, "w"): "1 week",
    (1, "mo"): "1 month",
}
# Web API /iserver/marketdata/history ``bar``: min, h, d, w, m (month) units.
_REST_BAR_UNITS = {"s": "S", "m": "min", "h": "h", "d": "d", "w": "w", "mo": "m"}
# ... and ``period``: min, h, d, w, m, y (no seconds: whole minutes or more).
_REST_PERIOD_UNITS = {"D": "d", "W": "w", "M": "m", "Y": "y"}


class InvalidHistoryError(ValueError):
    """The request cannot be put to IBKR (a bar size or duration IBKR has no spelling for)."""


def tws_bar_size(text: str) -> str:
    """The contract's bar size as TWS's ``barSizeSetting``."""
    parsed = parse_bar_size(text)
    if parsed is None or parsed not in _TWS_BARS:
        legal = ", ".join(f"{n}{u}" for n, u in _TWS_BARS)
        raise InvalidHistoryError(f"bar size {text!r} is not one IBKR offers ({legal})")
    return _TWS_BARS[parsed]


def tws_duration(text: str) -> str:
    """The contract's duration as TWS's ``durationStr`` (``"1 D"``)."""
    parsed = parse_duration(text)
    if parsed is None:
        raise InvalidHistoryError(f"duration {text!r} is not <n><S|D|W|M|Y>")
    return f"{parsed[0]} {parsed[1]}"


def rest_bar(text: str) -> str:
    """The contract's bar size as the Web API's ``bar`` (``5min``)."""
    tws_bar_size(text)  # the same legal set on both paths
    parsed = parse_bar_size(text)
    assert parsed is not None
    return f"{parsed[0]}{_REST_BAR_UNITS[parsed[1]]}"


def rest_period(text: str) -> str:
    """The contract's duration as the Web API's ``period`` (``1d``; seconds as minutes)."""
    parsed = parse_duration(text)
    if parsed is None:
        raise InvalidHistoryError(f"duration {text!r} is not <n><S|D|W|M|Y>")
    amount, unit = parsed
    if unit == "S":
        if amount % 60:
            raise InvalidHistoryError(f"duration {text!r}: the Web API counts whole minutes")
        return f"{amount // 60}min"
    return f"{amount}{_REST_PERIOD_UNITS[unit]}"


def check_spelling(request: HistoryRequest) -> None:
    """``InvalidHistoryError`` unless IBKR has words for the request's bar size and duration."""
    tws_bar_size(request.bar_size)
    tws_duration(request.duration)


def pacing_key(request: HistoryRequest) -> PacingKey:
    """The contract/exchange/tick type, and the whole request, as IBKR's rules compare them."""
    instrument = request.instrument
    contract: Hashable = (instrument.con_id or instrument.key, request.what_to_show)
    whole: Hashable = (
        contract, request.end, request.duration, request.bar_size, request.use_rth
    )  # fmt: skip
    return PacingKey(contract=contract, request=whole)


_REFUSALS: dict[int, HistoryRejectReason] = {
    200: "UNKNOWN_INSTRUMENT",  # no security definition
    321: "INVALID_REQUEST",  # error validating request (bar size, duration, end, exchange)
    354: "NOT_SUBSCRIBED",
    10090: "NOT_SUBSCRIBED",
    10168: "NOT_SUBSCRIBED",
    10089: "NO_PERMISSION",
    10091: "NO_PERMISSION",
}


def history_refusal(code: int | None, text: str) -> HistoryRejectReason:
    """Why IBKR gave no bars, in the contract's words. 162 is IBKR's catch-all "historical
    market data service error": its text says whether it was pacing, no data or the request."""
    if code == 162:
        lowered = text.lower()
        if "pacing violation" in lowered:
            return "PACING"
        if "no data" in lowered:
            return "NO_DATA"
        return "INVALID_REQUEST"  # e.g. "Time length exceed max."
    return _REFUSALS.get(code, "BROKER_ERROR") if code is not None else "BROKER_ERROR"
