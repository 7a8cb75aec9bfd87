"""Amends of working orders: whether one may go, the order it makes, and its lifecycle events.

Pure. The application layer writes the amend ahead (``OrderAmendSubmitting``, which carries
the amended order) before sending it to IBKR, and reports IBKR's answer: ``OrderAmended``, or
``OrderAmendRejected`` with IBKR's code and text (the order filled first, say). An amend is
taken up once per revision; one written ahead whose answer was lost is settled against IBKR's
view of the order on reconcile (``in_force``), and sent again only when IBKR does not have it.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from sluice_order_router.domain.broker import BrokerOrder
from sluice_order_router.domain.tracker import TrackedOrder
from sluice_proto import AmendOrder, ApprovedOrder
from sluice_proto.orders import (
    AmendRejectReason,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderEvent,
)

Refusal = tuple[AmendRejectReason, str]
RejectedBy = Literal["router", "broker"]


def refusal(record: TrackedOrder | None, command: AmendOrder) -> Refusal | None:
    """Why the router will not send this amend, or None when it may."""
    if record is None or record.order is None:
        return "UNKNOWN_ORDER", "the router has no order under this client_order_id"
    if command.revision <= record.revision:
        why = f"revision {command.revision} is not above {record.revision}, the last taken up"
        return "STALE_REVISION", why
    if record.terminal or record.unknown:
        return "ORDER_NOT_WORKING", f"the order is {'unknown' if record.unknown else record.state}"
    if record.state == "submitting":
        return "ORDER_NOT_WORKING", "the order's placement is still in doubt: amend once working"
    if record.amending is not None:
        return "ORDER_NOT_WORKING", f"revision {record.revision} is not confirmed yet"
    return None


def amended(order: ApprovedOrder, command: AmendOrder) -> ApprovedOrder:
    """``order`` with the amend's fields applied (the ones it leaves None stay)."""
    changes = {
        name: value
        for name in ("quantity", "limit_price", "stop_price", "tif")
        if (value := getattr(command, name)) is not None
    }
    return msgspec.structs.replace(order, **changes)


def submitting(record: TrackedOrder, command: AmendOrder) -> OrderAmendSubmitting:
    """Take the amend up (the caller checked ``refusal``): the write-ahead record."""
    assert record.order is not None
    record.revision = command.revision
    record.amending = amended(record.order, command)
    return OrderAmendSubmitting(
        **record.ids(), revision=command.revision, quantity=command.quantity,
        limit_price=command.limit_price, stop_price=command.stop_price, tif=command.tif,
        order=record.amending, broker_order_id=record.broker_order_id,
    )  # fmt: skip


def confirmed(record: TrackedOrder) -> list[OrderEvent]:
    """IBKR took the pending amend (or the order was still held): it is the order now."""
    order = record.amending
    if order is None:
        return []
    record.order, record.amending, record.quantity = order, None, order.quantity
    return [
        OrderAmended(
            **record.ids(), revision=record.revision, quantity=order.quantity,
            limit_price=order.limit_price, stop_price=order.stop_price, tif=order.tif,
            broker_order_id=record.broker_order_id, order=order,
        )
    ]  # fmt: skip


def rejected(
    record: TrackedOrder, why: Refusal, rejected_by: RejectedBy, code: int | None = None
) -> list[OrderEvent]:
    """The pending amend was not carried out; the order stays as it was."""
    order = record.amending
    if order is None:
        return []
    record.amending = None
    return [
        OrderAmendRejected(
            **record.ids(), revision=record.revision, quantity=order.quantity,
            limit_price=order.limit_price, stop_price=order.stop_price, tif=order.tif,
            reason_code=why[0], message=why[1], rejected_by=rejected_by, code=code,
        )
    ]  # fmt: skip


def refused(record: TrackedOrder | None, command: AmendOrder, why: Refusal) -> OrderAmendRejected:
    """The router's refusal of an amend it never took up."""
    return OrderAmendRejected(
        client_order_id=command.client_order_id, account=command.account,
        strategy_id=command.strategy_id, signal_id=command.signal_id,
        symbol=record.symbol if record is not None else "", revision=command.revision,
        quantity=command.quantity, limit_price=command.limit_price,
        stop_price=command.stop_price, tif=command.tif, reason_code=why[0], message=why[1],
        rejected_by="router",
    )  # fmt: skip


def in_force(broker: BrokerOrder, order: ApprovedOrder) -> bool:
    """IBKR's view of the order shows the amended terms (it reports quantity and prices)."""
    pairs = (
        (broker.quantity, order.quantity),
        (broker.limit_price, order.limit_price),
        (broker.stop_price, order.stop_price),
    )
    if broker.quantity is None:
        return False  # IBKR's answer says nothing of the terms: the amend is not known taken
    return all(have == want for have, want in pairs if want is not None and have is not None)
