"""Pure conversions between Sluice's types and ib_async's objects."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ib_async import Contract, Order, Trade
from ib_async import Fill as IbFill

from sluice_order_router.domain.broker import BrokerOrder, BrokerStatus, side_of
from sluice_proto import ApprovedOrder, Fill, Instrument, SweptOrder

_WORKING = frozenset({"PreSubmitted", "Submitted"})
_CANCELLED = frozenset({"Cancelled", "ApiCancelled", "Inactive"})
_CANCEL_CODES = frozenset({0, 202})  # 202 is IBKR's "order cancelled", not a rejection
# IBKR refusing a *cancel*: 161 not in a cancellable state, 10147 not found, 10148 already
# final. ib_async marks the trade Cancelled on these too, though the order itself is untouched.
CANCEL_REFUSED = frozenset({161, 10147, 10148})
_UNSET = 1.7976931348623157e308  # IBKR's "no value" double
_ORDER_TYPES = {"STP_LMT": "STP LMT", "TRAIL_LIMIT": "TRAIL LIMIT"}
"""Sluice's order types whose IBKR name differs (the others are IBKR's own)."""
DUPLICATE_ORDER_ID = 103  # the id is IBKR's already: the order was not taken under it
_NOTICES = frozenset({399})  # "order message": a remark on an order, not a refusal


def refuses_modify(code: int) -> bool:
    """IBKR's error about an order being modified means the modify was not taken: 104 "Can't
    modify a filled order", 105 "Order being modified does not match original order", 201,
    10147 (not found), ...; not the 21xx warnings or a remark. ib_async marks the trade
    Cancelled on most of them, though the order itself did not change."""
    return code not in _NOTICES and not 2100 <= code < 2200


def dec(value: float) -> Decimal:
    """A float from the wire as the Decimal it was printed as (no binary artefacts)."""
    return Decimal(str(value))


def to_contract(instrument: Instrument) -> Contract:
    """The ib_async contract to qualify or trade, with every term the instrument sets."""
    return Contract(
        conId=instrument.con_id or 0,
        symbol=instrument.symbol,
        secType=instrument.sec_type,
        exchange=instrument.exchange,
        currency=instrument.currency,
        lastTradeDateOrContractMonth=instrument.last_trade_date_or_contract_month or "",
        strike=float(instrument.strike or 0),
        right=instrument.right or "",
        multiplier=_text(instrument.multiplier),
        tradingClass=instrument.trading_class or "",
        localSymbol=instrument.local_symbol or "",
        primaryExchange=instrument.primary_exchange or "",
    )


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def from_contract(contract: Contract) -> Instrument:
    """A contract of IBKR's ``contractDetails`` answer as an instrument with every term."""
    right = contract.right[:1].upper() if contract.right else ""
    multiplier = Decimal(contract.multiplier) if contract.multiplier else None  # IBKR's text
    return Instrument(
        symbol=contract.symbol,
        sec_type=contract.secType,  # type: ignore[arg-type]  # IBKR's own word
        exchange=contract.exchange or "SMART",
        currency=contract.currency,
        con_id=contract.conId,
        last_trade_date_or_contract_month=contract.lastTradeDateOrContractMonth or None,
        strike=dec(contract.strike) if contract.strike else None,
        right=right if right in ("C", "P") else None,  # type: ignore[arg-type]
        multiplier=multiplier if multiplier and multiplier != 1 else None,
        trading_class=contract.tradingClass or None,
        local_symbol=contract.localSymbol or None,
        primary_exchange=contract.primaryExchange or None,
    )


def to_order(order: ApprovedOrder, parent_id: int = 0, *, transmit: bool = True) -> Order:
    """An ib_async order with ``orderRef`` = ``client_order_id`` (the reconcile key); a bracket
    child names its parent's order id, and only a bracket's last order transmits it."""
    ib_order = Order(
        action=order.side,
        totalQuantity=float(order.quantity),
        orderType=_ORDER_TYPES.get(order.order_type, order.order_type),
        tif=order.tif,
        outsideRth=order.outside_rth,
        orderRef=order.client_order_id,
        account=order.account,
        transmit=transmit,
        parentId=parent_id,
    )
    if order.limit_price is not None:
        ib_order.lmtPrice = float(order.limit_price)
    if order.stop_price is not None:
        ib_order.auxPrice = float(order.stop_price)
    if order.trailing_amount is not None:  # IBKR: a trail's amount is its auxPrice
        ib_order.auxPrice = float(order.trailing_amount)
    if order.trailing_percent is not None:
        ib_order.trailingPercent = float(order.trailing_percent)
    if order.trail_stop_price is not None:
        ib_order.trailStopPrice = float(order.trail_stop_price)
    if order.limit_price_offset is not None:
        ib_order.lmtPriceOffset = float(order.limit_price_offset)
    if order.good_till is not None:
        ib_order.goodTillDate = good_till_date(order.good_till)
    if order.oca_group is not None:
        ib_order.ocaGroup, ib_order.ocaType = order.oca_group, order.oca_type
    return ib_order


def _price(value: float | Decimal | None) -> Decimal | None:
    """A price field of an order; None when unset (IBKR's max double, or 0)."""
    return None if value is None or value in (_UNSET, 0) else Decimal(str(value))


def shows(trade: Trade, order: Order) -> bool:
    """IBKR's copy of the trade's order (updated by each openOrder) carries ``order``'s
    quantity and prices: a modify with those terms was taken."""
    have = trade.order
    return have.totalQuantity == order.totalQuantity and all(
        _price(mine) is None or _price(mine) == _price(theirs)
        for mine, theirs in ((order.lmtPrice, have.lmtPrice), (order.auxPrice, have.auxPrice))
    )


def good_till_date(at: datetime) -> str:
    """IBKR's ``goodTillDate`` in its UTC form, ``yyyymmdd-hh:mm:ss`` (no time zone name to
    mistake: TWS reads a bare ``yyyymmdd hh:mm:ss`` in the login's own time zone)."""
    return at.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S")


def last_error(trade: Trade) -> tuple[int | None, str | None]:
    """The most recent IBKR error code and text in a trade's log."""
    for entry in reversed(trade.log):
        if entry.errorCode:
            return entry.errorCode, entry.message
    return None, None


def cancel_refusal(trade: Trade) -> tuple[int, str] | None:
    """IBKR's code and text when the trade's current status comes from a refused cancel.

    ib_async logs later news (a fill) under that status too, so look at the entry that
    first set it, not merely the last one.
    """
    setter = None
    for entry in reversed(trade.log):
        if entry.status != trade.orderStatus.status:
            break
        setter = entry
    if setter is None or setter.errorCode not in CANCEL_REFUSED:
        return None
    return setter.errorCode, setter.message


def duplicate_id(trade: Trade) -> bool:
    """IBKR refused the order's id (103): nothing is known about the order itself yet."""
    return trade.orderStatus.status in _CANCELLED and last_error(trade)[0] == DUPLICATE_ORDER_ID


def status_of(trade: Trade) -> BrokerStatus:
    """Sluice's status for an ib_async trade."""
    status = trade.orderStatus.status
    if status == "Filled":
        return "filled"
    if cancel_refusal(trade) is not None:  # ib_async's "Cancelled" is false: state unknown
        return "submitted"  # the weakest claim: it moves no acknowledged order
    if status in _CANCELLED:
        code, _ = last_error(trade)
        rejected = status == "Inactive" or (code is not None and code not in _CANCEL_CODES)
        return "rejected" if rejected else "cancelled"
    if status in _WORKING:
        return "partially_filled" if trade.orderStatus.filled > 0 else "accepted"
    return "submitted"


def broker_order(trade: Trade) -> BrokerOrder | None:
    """The trade as a ``BrokerOrder``, or None for an order without our ``orderRef``."""
    ref = trade.order.orderRef
    if not ref:
        return None
    status = trade.orderStatus
    avg = status.avgFillPrice if status.avgFillPrice != _UNSET else 0.0
    return BrokerOrder(
        client_order_id=ref,
        broker_order_id=trade.order.orderId or trade.order.permId,
        perm_id=trade.order.permId or None,
        status=status_of(trade),
        filled_quantity=dec(status.filled),
        remaining_quantity=dec(status.remaining),
        avg_fill_price=dec(avg),
        quantity=dec(trade.order.totalQuantity),
        limit_price=_price(trade.order.lmtPrice),
        stop_price=_price(trade.order.auxPrice),
    )


def swept(trade: Trade) -> SweptOrder:
    """An open order, whichever client placed it, as a global cancel covers it."""
    order = trade.order
    return SweptOrder(
        broker_order_id=str(order.permId or order.orderId),
        account=order.account,
        order_ref=order.orderRef or "",
        client_id=order.clientId,
        symbol=trade.contract.symbol,
        side=side_of(order.action),
        remaining_quantity=dec(trade.remaining()),
    )


def to_fill(fill: IbFill) -> Fill:
    """One execution with its commission (when IBKR has reported it)."""
    report = fill.commissionReport
    has_commission = bool(report.execId)
    executed = fill.execution.time if fill.execution.time.year > 1970 else datetime.now(UTC)
    return Fill(
        exec_id=fill.execution.execId,
        quantity=dec(fill.execution.shares),
        price=dec(fill.execution.price),
        commission=dec(report.commission) if has_commission else None,
        commission_currency=report.currency or None if has_commission else None,
        executed_at=executed if executed.tzinfo else executed.replace(tzinfo=UTC),
    )
