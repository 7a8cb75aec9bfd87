"""Amends of working orders (``ModifyRequest``): the order an amend would make, and the events.

Pure: the engine decides (revision, state, checks); this module only builds values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from sluice_proto import AmendOrder, ModifyRequest, OrderAmendRejected, Signal
from sluice_proto.common import TimeInForce
from sluice_proto.orders import AmendRejectReason
from sluice_risk.domain.orders import DecidedOrder


def becomes(order: DecidedOrder, request: ModifyRequest, now: datetime) -> Signal:
    """The amended order as a signal for the pre-trade checks: its quantity still to work
    (the new total less what has filled), at its new prices and time in force.

    Raises ``ValueError`` when the amend makes no valid order (a quantity not above the
    filled part, a price the order type needs and lacks).
    """
    total = request.quantity if request.quantity is not None else order.quantity
    if total <= order.filled_quantity:
        raise ValueError(f"quantity {total} is not above the {order.filled_quantity} filled")
    limit = request.limit_price if request.limit_price is not None else order.limit_price
    instrument = order.instrument
    return Signal(
        signal_id=order.signal_id,
        strategy_id=order.strategy_id,
        symbol=instrument.symbol,
        side=order.side,
        quantity=total - order.filled_quantity,
        order_type=order.order_type or ("LMT" if order.limit_price is not None else "MKT"),
        account=order.account,
        sec_type=instrument.sec_type,
        exchange=instrument.exchange,
        currency=instrument.currency,
        con_id=instrument.con_id,
        limit_price=limit,
        stop_price=request.stop_price if request.stop_price is not None else order.stop_price,
        tif=request.tif or order.tif,
        created_at=now,
        park=False,
    )


def approved(request: ModifyRequest, account: str, now: datetime) -> AmendOrder:
    """The router's command for an amend that passed the checks (only the changed fields)."""
    return AmendOrder(**_asked(request, account), reason=request.reason, requested_at=now)


def refused(
    request: ModifyRequest,
    order: DecidedOrder | None,
    account: str,
    now: datetime,
    why: tuple[AmendRejectReason, str],
) -> OrderAmendRejected:
    """Risk's refusal of an amend (its reason code and message); the order stays as it was."""
    return OrderAmendRejected(
        **_asked(request, account),
        symbol=order.instrument.symbol if order is not None else "",
        ts=now,
        reason_code=why[0],
        message=why[1],
        rejected_by="risk",
    )


class _Asked(TypedDict):
    client_order_id: str
    account: str
    strategy_id: str
    signal_id: str
    revision: int
    quantity: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    tif: TimeInForce | None


def _asked(request: ModifyRequest, account: str) -> _Asked:
    """The amend's ids and asked changes, as both the command and the refusal carry them."""
    return {
        "client_order_id": request.client_order_id,
        "account": account,
        "strategy_id": request.strategy_id,
        "signal_id": request.signal_id,
        "revision": request.revision,
        "quantity": request.quantity,
        "limit_price": request.limit_price,
        "stop_price": request.stop_price,
        "tif": request.tif,
    }
