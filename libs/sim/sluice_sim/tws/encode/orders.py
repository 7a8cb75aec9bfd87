"""Order messages: openOrder, orderStatus, completedOrder (layouts for server version 176)."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.tws.fields import Field, Fields, contract, message
from sluice_sim.venue import Instrument, OrderSpec, VenueOrder, WhatIf

_UNSET = None  # an unset double or int is sent as an empty field


def _order_head(spec: OrderSpec) -> list[Field]:
    return [
        spec.action,
        spec.quantity,
        spec.order_type,
        spec.limit_price,
        spec.trailing_amount if spec.trailing_amount is not None else spec.stop_price,
        spec.tif,
        spec.oca_group,
        spec.account,
        "O",  # openClose
        0,  # origin: customer
        spec.order_ref,
    ]


def _good_till(spec: OrderSpec) -> str:
    return spec.good_till.strftime("%Y%m%d %H:%M:%S UTC") if spec.good_till else ""


def _order_state(status: str, what_if: WhatIf | None) -> list[Field]:
    if what_if is None:
        return [status, *[""] * 9, _UNSET, _UNSET, _UNSET, "", ""]
    w = what_if
    margins = (
        w.init_margin_before,
        w.maint_margin_before,
        w.equity_with_loan_before,
        w.init_margin_change,
        w.maint_margin_change,
        w.equity_with_loan_change,
        w.init_margin_after,
        w.maint_margin_after,
        w.equity_with_loan_after,
    )
    return [status, *margins, w.commission, w.commission, w.commission,
            w.commission_currency, w.warning]  # fmt: skip


def open_order(
    spec: OrderSpec,
    inst: Instrument,
    perm_id: int,
    status: str,
    what_if: WhatIf | None = None,
) -> Fields:
    """openOrder: 128 fields for a plain (non-combo, non-algo, unconditional) order."""
    values: list[Field] = [5, spec.order_id]
    tail: list[Field] = [
        *_order_head(spec),
        spec.client_id,
        perm_id,
        spec.outside_rth,
        False,  # hidden
        0,  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation (deprecated)
        "", "", "", "",  # faGroup, faMethod, faPercentage, faProfile (< v177)
        "", _good_till(spec), 0, "", "", 0, "", -1,  # modelCode, goodTillDate .. exemptCode
        0, _UNSET, _UNSET, _UNSET, _UNSET, _UNSET,  # auctionStrategy .. stockRangeUpper
        _UNSET, False, False, False, _UNSET, spec.oca_type or 3,  # displaySize .. ocaType
        False, False, _UNSET, spec.parent_id, 0,  # eTradeOnly, .., parentId, triggerMethod
        _UNSET, _UNSET, "", _UNSET,  # volatility .. deltaNeutralAuxPrice
        False, 0, spec.trail_stop_price, spec.trailing_percent,  # .., trailingPercent
        "", "", "",  # basisPoints, basisPointsType, comboLegsDescrip
        0, 0, 0,  # comboLegs, orderComboLegs, smartComboRoutingParams
        _UNSET, _UNSET, _UNSET,  # scale init/subs level size, price increment
        "",  # hedgeType
        False, "", "", False, False,  # optOutSmartRouting .. deltaNeutralContract present
        "",  # algoStrategy
        False, what_if is not None,  # solicited, whatIf
        *_order_state(status, what_if),
        False, False,  # randomizeSize, randomizePrice
        0,  # conditions
        "", _UNSET, spec.trail_stop_price, spec.limit_price_offset,  # .., lmtPriceOffset
        _UNSET, _UNSET, _UNSET, 0,  # adjustedStopPrice .. adjustableTrailingUnit
        "", "", "",  # softDollarTier name, value, displayName
        _UNSET, False, False, False, False,  # cashQty .. usePriceMgmtAlgo
        _UNSET, _UNSET, False,  # duration, postToAts, autoCancelParent
        _UNSET, _UNSET, _UNSET, _UNSET, _UNSET,  # minTradeQty .. midOffsetAtHalf
    ]  # fmt: skip
    return [*message(*values), *contract(inst), *message(*tail)]


def order_status(order: VenueOrder) -> Fields:
    spec = order.spec
    return message(
        3,
        spec.order_id,
        order.status.value,
        order.filled,
        spec.quantity - order.filled if not order.status.is_done else Decimal(0),
        order.avg_fill_price,
        order.perm_id,
        spec.parent_id,
        order.last_fill_price,
        spec.client_id,
        "",  # whyHeld
        0,  # mktCapPrice
    )


def open_order_end() -> Fields:
    return message(53, 1)


def completed_order(order: VenueOrder, inst: Instrument) -> Fields:
    """completedOrder: the order as finished, with completion time and status text."""
    spec = order.spec
    completed = order.completed_at.strftime("%Y%m%d %H:%M:%S UTC") if order.completed_at else ""
    tail: list[Field] = [
        *_order_head(spec),
        order.perm_id,
        spec.outside_rth,
        False, 0, "",  # hidden, discretionaryAmt, goodAfterTime
        "", "", "", "",  # faGroup, faMethod, faPercentage, faProfile (< v177)
        "", "", 0, "", "", 0, "", -1,  # modelCode .. exemptCode
        _UNSET, _UNSET, _UNSET, _UNSET, _UNSET,  # startingPrice .. stockRangeUpper
        _UNSET, False, False, _UNSET, 3, 0,  # displaySize .. triggerMethod
        _UNSET, _UNSET, "", _UNSET,  # volatility .. deltaNeutralAuxPrice
        False, 0, _UNSET, _UNSET, "",  # continuousUpdate .. comboLegsDescrip
        0, 0, 0,  # comboLegs, orderComboLegs, smartComboRoutingParams
        _UNSET, _UNSET, _UNSET,  # scale sizes, price increment
        "",  # hedgeType
        "", "", False, False,  # clearingAccount, clearingIntent, notHeld, dnc present
        "",  # algoStrategy
        False, order.status.value, False, False,  # solicited, status, randomize*
        0,  # conditions
        _UNSET, _UNSET, _UNSET, False, False,  # trailStopPrice .. isOmsContainer
        "", order.filled, 0, False, "",  # autoCancelDate .. shareholder
        False, False, _UNSET,  # imbalanceOnly, routeMarketableToBbo, parentPermId
        completed, order.completed_status,
        _UNSET, _UNSET, _UNSET, _UNSET, _UNSET,  # minTradeQty .. midOffsetAtHalf
    ]  # fmt: skip
    return [*message(101), *contract(inst), *message(*tail)]


def completed_orders_end() -> Fields:
    return message(102)
