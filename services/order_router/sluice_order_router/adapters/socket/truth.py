"""IBKR's socket messages as the broker-neutral ``BrokerTruth`` (positions, open orders of every
client, account values)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from ib_async import AccountValue, Contract, PnL, Position, Trade

from sluice_order_router.adapters.socket.mapping import dec
from sluice_order_router.domain.broker import side_of
from sluice_proto import AccountSummary, BrokerOpenOrder, BrokerPnl, BrokerPosition, Instrument
from sluice_proto.common import SecType

_UNSET = 1.7976931348623157e308  # IBKR's "no value" double
# IBKR's account-value tags → the summary's fields
_SUMMARY_TAGS = {
    "NetLiquidation": "net_liquidation",
    "BuyingPower": "buying_power",
    "AvailableFunds": "available_funds",
    "ExcessLiquidity": "excess_liquidity",
    "TotalCashValue": "total_cash",
    "GrossPositionValue": "gross_position_value",
    "InitMarginReq": "init_margin",
    "MaintMarginReq": "maint_margin",
}
_SEC_TYPES: frozenset[str] = frozenset(SecType.__args__)  # type: ignore[attr-defined]
_DERIVATIVES = frozenset({"FUT", "OPT", "FOP", "WAR"})


def instrument(contract: Contract) -> Instrument | None:
    """The contract as an ``Instrument`` with the terms that name it (risk matches positions on
    them): a derivative's expiry, strike, right and multiplier, nothing more for a stock.
    None for a kind the contract cannot name."""
    if contract.secType not in _SEC_TYPES or not contract.symbol:
        return None
    terms: dict[str, Any] = {}
    if contract.secType in _DERIVATIVES:
        right = contract.right[:1].upper() if contract.right else ""
        multiplier = Decimal(contract.multiplier) if contract.multiplier else None  # IBKR's text
        terms = {
            "last_trade_date_or_contract_month": contract.lastTradeDateOrContractMonth or None,
            "strike": dec(contract.strike) if contract.strike else None,
            "right": right if right in ("C", "P") else None,
            "multiplier": multiplier if multiplier and multiplier != 1 else None,
        }
    try:
        return Instrument(
            symbol=contract.symbol,
            sec_type=contract.secType,  # type: ignore[arg-type]
            exchange=contract.exchange or contract.primaryExchange or "SMART",
            currency=contract.currency or "USD",
            con_id=contract.conId or None,
            **terms,
        )
    except (ValueError, InvalidOperation):  # terms IBKR left incomplete: not ours to guess
        return None


def positions(held: Iterable[Position], account: str) -> list[BrokerPosition]:
    """The account's non-flat positions; IBKR's average cost includes the multiplier."""
    found = []
    for position in held:
        named = instrument(position.contract)
        if position.account != account or not position.position or named is None:
            continue
        multiplier = Decimal(position.contract.multiplier or 1)  # IBKR's text
        found.append(
            BrokerPosition(
                instrument=named,
                quantity=dec(position.position),
                avg_cost=dec(position.avgCost) / multiplier if position.avgCost else None,
            )
        )
    return found


def open_orders(trades: Iterable[Trade], account: str) -> list[BrokerOpenOrder]:
    """The account's working orders, whichever client (or TWS user) placed them."""
    found = []
    for trade in trades:
        order, named, side = trade.order, instrument(trade.contract), side_of(trade.order.action)
        if trade.isDone() or order.account not in (account, "") or named is None or side is None:
            continue
        limit = order.lmtPrice if order.lmtPrice not in (_UNSET, 0.0) else None
        found.append(
            BrokerOpenOrder(
                broker_order_id=str(order.permId or order.orderId),
                instrument=named,
                side=side,
                remaining_quantity=dec(trade.remaining()),
                order_ref=order.orderRef or "",
                client_id=order.clientId,
                order_type=order.orderType,
                limit_price=dec(float(limit)) if limit is not None else None,
            )
        )
    return found


def summary(values: Iterable[AccountValue], account: str) -> AccountSummary:
    """The account's headline figures in its base currency: IBKR's ``BASE`` line where it
    sends one per currency (cash), else the figure's only line."""
    fields: dict[str, Decimal] = {}
    currency = ""
    for value in values:
        field = _SUMMARY_TAGS.get(value.tag)
        if value.account != account or field is None or not value.currency:
            continue
        if field in fields and value.currency != "BASE":
            continue  # a figure in one currency of several: the BASE line is the total
        try:
            fields[field] = Decimal(value.value)
        except InvalidOperation:
            continue
        if value.tag == "NetLiquidation":  # always in the base currency
            currency = value.currency
    return AccountSummary(currency=currency, **fields)


def _figure(value: float) -> Decimal | None:
    """A PnL figure; IBKR's unset double (and ib_async's NaN before any) is None."""
    return None if math.isnan(value) or abs(value) >= _UNSET else dec(value)


def pnl(ib_pnl: PnL, values: Iterable[AccountValue]) -> BrokerPnl:
    """``reqPnL``'s figures, with the net liquidation of the account values (TWS sends no
    market value of the positions as one figure: None)."""
    return BrokerPnl(
        account=ib_pnl.account,
        daily_pnl=_figure(ib_pnl.dailyPnL),
        unrealized_pnl=_figure(ib_pnl.unrealizedPnL),
        realized_pnl=_figure(ib_pnl.realizedPnL),
        net_liquidation=summary(values, ib_pnl.account).net_liquidation,
    )
