"""Order validation: the checks a venue makes before it accepts or prices an order."""

from __future__ import annotations

from decimal import Decimal

from .errors import InvalidRequestError, OrderRejectedError
from .instruments import Instrument
from .orders import ORDER_TYPES, TIFS, TRAILING, OrderSpec


def validate(spec: OrderSpec, inst: Instrument, accounts: set[str]) -> None:
    """Raise the IBKR-coded error for an order the venue would refuse."""
    if spec.account and spec.account not in accounts:
        raise OrderRejectedError(f"Order rejected - reason:Invalid account {spec.account}")
    if spec.action not in {"BUY", "SELL"}:
        raise InvalidRequestError(f"Error validating request: invalid action '{spec.action}'")
    if spec.order_type not in ORDER_TYPES:
        raise OrderRejectedError(
            f"Order rejected - reason:Unsupported order type {spec.order_type}"
        )
    if spec.tif not in TIFS:
        raise OrderRejectedError(f"Order rejected - reason:Unsupported time in force {spec.tif}")
    if spec.quantity <= 0 or spec.quantity % inst.min_size:
        raise OrderRejectedError(f"Order rejected - reason:Invalid order size {spec.quantity}")
    if spec.order_type in TRAILING and (spec.trailing_amount or spec.trailing_percent) is None:
        raise OrderRejectedError("Order rejected - reason:A trailing amount or percent is missing")
    if spec.tif == "GTD" and spec.good_till is None:
        raise OrderRejectedError("Order rejected - reason:The good-till date is missing")
    if spec.order_type in {"LMT", "STP LMT", "LOC"}:
        _check_price("limit", spec.limit_price, inst)
    if spec.order_type in {"STP", "STP LMT"}:
        _check_price("stop", spec.stop_price, inst)


def _check_price(kind: str, price: Decimal | None, inst: Instrument) -> None:
    if price is None or price <= 0:
        raise OrderRejectedError(f"Order rejected - reason:The {kind} price is missing")
    if price % inst.min_tick:
        raise OrderRejectedError(
            f"Order rejected - reason:The price does not conform to the minimum price variation "
            f"for this contract ({inst.min_tick})"
        )
