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
    oca_group: str = ""
    oca_type: int = 0
    parent_id: int = 0
    good_till_date: str = ""
    trail_stop_price: Decimal | None = None
    trailing_percent: Decimal | None = None
    limit_price_offset: Decimal | None = None


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
    oca_group, account = c.text(), c.text()
    c.skip(2)  # openClose, origin
    order_ref, transmit, parent_id = c.text(), c.flag(), c.integer()
    c.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = c.flag()
    c.skip(4)  # hidden, "", discretionaryAmt, goodAfterTime
    good_till_date = c.text()
    # faGroup, faMethod, faPercentage, faProfile (< v177), modelCode .. exemptCode
    c.skip(4 + 4)
    oca_type = c.integer()
    c.skip(15 + 2)  # rule80A .. overridePercentageConstraints, volatility, volatilityType
    if c.text():  # deltaNeutralOrderType
        c.skip(1 + 8)
    else:
        c.skip(1)  # deltaNeutralAuxPrice
    c.skip(2)  # continuousUpdate, referencePriceType
    trail_stop_price, trailing_percent = c.decimal(), c.decimal()
    c.skip(2)  # scaleInitLevelSize, scaleSubsLevelSize
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
    c.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if order_type in {"PEG BENCH", "PEGBENCH"}:
        c.skip(5)
    limit_price_offset = None
    if not c.integer():  # no conditions (the simulator does not model them)
        c.skip(2)  # adjustedOrderType, triggerPrice
        limit_price_offset = c.decimal()
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
        oca_group=oca_group,
        oca_type=oca_type,
        parent_id=parent_id,
        good_till_date=good_till_date,
        trail_stop_price=trail_stop_price,
        trailing_percent=trailing_percent,
        limit_price_offset=limit_price_offset,
    )
