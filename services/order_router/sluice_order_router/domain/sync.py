"""Bring a tracked order in line with what IBKR reports (a pushed update or a snapshot)."""

from __future__ import annotations

from collections.abc import Iterable

from sluice_order_router.domain.broker import BrokerOrder
from sluice_order_router.domain.tracker import TrackedOrder
from sluice_proto import Fill
from sluice_proto.orders import OrderEvent


def apply_broker(
    record: TrackedOrder,
    broker: BrokerOrder,
    fills: Iterable[Fill] = (),
    *,
    adopted: bool = False,
    error_code: int | None = None,
    error_text: str | None = None,
) -> list[OrderEvent]:
    """The lifecycle events that take ``record`` to the broker's view of it.

    Order matters: ids first, then working, then fills, then the terminal state, so a
    consumer reading the stream sees a plausible history even when several steps were missed.
    """
    if broker.status == "rejected":  # never acknowledged: no ids to report
        return record.rejected(error_code, error_text or "rejected by IBKR")
    events = record.acknowledged(broker.broker_order_id, broker.perm_id, adopted)
    if broker.status != "submitted":
        events += record.working()
    for fill in fills:
        events += record.add_fill(fill)
    if broker.status == "cancelled":
        events += record.cancelled(error_text or "")
    return events
