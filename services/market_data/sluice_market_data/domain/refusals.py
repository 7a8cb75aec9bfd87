"""Streams the broker refused (the router relays the refusal on a tick): end the subscription.

Only the contract's normalised reason is read here; the broker's own codes stay in the router.
"""

from __future__ import annotations

from datetime import datetime

from sluice_market_data.domain.registry import SubscriptionRegistry
from sluice_proto.market_data import MdStop, MdSubscriptionRejected, MdTick


def end_subscription(
    registry: SubscriptionRegistry, tick: MdTick, now: datetime
) -> list[MdStop | MdSubscriptionRejected]:
    """Free the line of an instrument the broker refused and tell each of its subscribers why
    (the rejection carries the broker's reason as it is: ``LINE_LIMIT``, ``NOT_SUBSCRIBED``, ...,
    and the candidates of an ``AMBIGUOUS_INSTRUMENT``).

    A tick without a reason (an informational notice, e.g. delayed data) leaves the
    subscription alone.
    """
    if tick.reason is None:
        return []
    dropped = registry.drop(tick.instrument.key)
    if dropped is None:
        return []
    instrument, subscribers = dropped
    message = tick.error_text or "market data refused"
    events: list[MdStop | MdSubscriptionRejected] = [MdStop(instrument=instrument, ts=now)]
    events.extend(
        MdSubscriptionRejected(
            instrument=instrument,
            subscriber_id=subscriber,
            reason_code=tick.reason,
            message=message,
            ts=now,
            candidates=tick.candidates,
        )
        for subscriber in sorted(subscribers)
    )
    return events
