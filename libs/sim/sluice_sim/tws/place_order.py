"""Decoding placeOrder (message 3) into the venue's order terms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sluice_sim.tws.requests import Cursor
from sluice_sim.venue import ContractQuery

UNSET_DOUBLE = Decimal("1.7976931348623157e308")


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """The parts of a placeOrder the paper venue acts on."""

    order_id: int
    query: ContractQuery
    action: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    tif: str
    account: str
    order_ref: str
    outside_rth: bool
    what_if: bool
    transmit: bool


class UnsupportedOrderError(Exception):
    """An order form the simulator does not model (combos)."""


def place_order(fields: list[str]) -> PlaceOrder:
    """Parse placeOrder up to its whatIf flag; the later fields do not change a paper fill."""
    c = Cursor(fields)
    order_id, query = c.integer(), c.contract()
    if query.sec_type == "BAG":
        raise UnsupportedOrderError("combo orders are not supported by the simulator")
    c.skip(2)  # secIdType, secId
    action, quantity, order_type = c.text(), c.decimal() or Decimal(0), c.text()
    limit_price, stop_price, tif = c.decimal(), c.decimal(), c.text()
    c.skip(1)  # ocaGroup
    account = c.text()
    c.skip(2)  # openClose, origin
    order_ref, transmit = c.text(), c.flag()
    c.skip(5)  # parentId, blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = c.flag()
    # hidden, "", discretionaryAmt, goodAfterTime, goodTillDate, faGroup, faMethod,
    # faPercentage, faProfile (< v177), modelCode .. overridePercentageConstraints (20),
    # volatility, volatilityType
    c.skip(1 + 1 + 7 + 20 + 2)
    if c.text():  # deltaNeutralOrderType
        c.skip(1 + 8)
    else:
        c.skip(1)  # deltaNeutralAuxPrice
    c.skip(6)  # continuousUpdate .. scaleSubsLevelSize
    increment = c.decimal()
    if increment is not None and 0 < increment < UNSET_DOUBLE:
        c.skip(7)
    c.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if c.text():  # hedgeType
        c.skip(1)
    c.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if c.flag():  # delta-neutral contract
        c.skip(3)
    if c.text():  # algoStrategy
        c.skip(2 * c.integer())
    c.skip(1)  # algoId
    what_if = c.flag()
    return PlaceOrder(
        order_id=order_id,
        query=query,
        action=action,
        quantity=quantity,
        order_type=order_type,
        limit_price=limit_price,
        stop_price=stop_price,
        tif=tif or "DAY",
        account=account,
        order_ref=order_ref,
        outside_rth=outside_rth,
        what_if=what_if,
        transmit=transmit,
    )
