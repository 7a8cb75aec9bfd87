"""IBKR market-data errors the router relays on a tick: which ones end a subscription."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sluice_market_data.domain.registry import SubscriptionRegistry
from sluice_proto.market_data import MdStop, MdSubscriptionRejected, MdTick

RejectReason = Literal["LINE_BUDGET_EXHAUSTED", "UNKNOWN_INSTRUMENT", "BROKER_ERROR"]

_FATAL: dict[int, RejectReason] = {
    200: "UNKNOWN_INSTRUMENT",  # no security definition
    101: "LINE_BUDGET_EXHAUSTED",  # max tickers reached: the account has fewer lines than set
    # Not subscribed / no permission for this data: retrying will not help.
    354: "BROKER_ERROR",
    10089: "BROKER_ERROR",
    10090: "BROKER_ERROR",
    10091: "BROKER_ERROR",
    10168: "BROKER_ERROR",
}


def rejection_reason(code: int | None) -> RejectReason | None:
    """Why IBKR will not stream an instrument after error ``code``; None if it still may."""
    return _FATAL.get(code) if code is not None else None


def end_subscription(
    registry: SubscriptionRegistry, tick: MdTick, now: datetime
) -> list[MdStop | MdSubscriptionRejected]:
    """Free the line of an instrument IBKR refused and tell each of its subscribers why.

    Informational codes (delayed data, farm status) leave the subscription alone.
    """
    reason = rejection_reason(tick.error_code)
    if reason is None:
        return []
    dropped = registry.drop(tick.instrument.key)
    if dropped is None:
        return []
    instrument, subscribers = dropped
    message = f"IBKR {tick.error_code}: {tick.error_text or 'market data refused'}"
    events: list[MdStop | MdSubscriptionRejected] = [MdStop(instrument=instrument, ts=now)]
    events.extend(
        MdSubscriptionRejected(
            instrument=instrument,
            subscriber_id=subscriber,
            reason_code=reason,
            message=message,
            ts=now,
        )
        for subscriber in sorted(subscribers)
    )
    return events
