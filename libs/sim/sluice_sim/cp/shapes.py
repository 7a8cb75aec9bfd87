"""Venue objects in the Client Portal's JSON shapes (pure functions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_sim.venue import Execution, Instrument, Position, Quote, VenueOrder

_CP_STATUS = {"ApiCancelled": "Cancelled"}
_ORDER_TYPE_OUT = {"STP LMT": "STOP_LIMIT", "STP": "STOP"}


def _num(value: Decimal) -> float:
    return float(value)


def live_order(order: VenueOrder, inst: Instrument) -> dict[str, Any]:
    """One entry of ``GET /iserver/account/orders``."""
    spec = order.spec
    return {
        "acct": spec.account,
        "conid": inst.con_id,
        "conidex": str(inst.con_id),
        "orderId": order.perm_id,
        "cashCcy": inst.currency,
        "ticker": inst.symbol,
        "secType": inst.sec_type,
        "listingExchange": inst.primary_exchange or inst.exchange,
        "side": spec.action,
        "orderType": _ORDER_TYPE_OUT.get(spec.order_type, spec.order_type),
        "timeInForce": spec.tif,
        "price": str(spec.limit_price) if spec.limit_price is not None else "",
        "auxPrice": str(spec.stop_price) if spec.stop_price is not None else "",
        "totalSize": _num(spec.quantity),
        "filledQuantity": _num(order.filled),
        "remainingQuantity": _num(order.remaining),
        "avgPrice": str(order.avg_fill_price) if order.filled else "",
        "status": _CP_STATUS.get(order.status.value, order.status.value),
        "order_ref": spec.order_ref,
        "lastExecutionTime_r": int(order.created_at.timestamp() * 1000),
    }


def trade(execution: Execution, inst: Instrument) -> dict[str, Any]:
    """One entry of ``GET /iserver/account/trades``."""
    return {
        "execution_id": execution.exec_id,
        "symbol": inst.symbol,
        "conid": inst.con_id,
        "side": "B" if execution.side == "BOT" else "S",
        "size": _num(execution.shares),
        "price": str(execution.price),
        "order_id": execution.perm_id,
        "order_ref": execution.order_ref,
        "commission": str(execution.commission),
        "account": execution.account,
        "exchange": execution.exchange,
        "trade_time_r": int(execution.time.timestamp() * 1000),
        "sec_type": inst.sec_type,
    }


def position(account: str, pos: Position, inst: Instrument, mark: Decimal) -> dict[str, Any]:
    """One entry of ``GET /portfolio/{acct}/positions/{page}``."""
    value = pos.quantity * mark * inst.multiplier
    return {
        "acctId": account,
        "conid": inst.con_id,
        "contractDesc": inst.symbol,
        "ticker": inst.symbol,
        "assetClass": inst.sec_type,
        "position": _num(pos.quantity),
        "mktPrice": _num(mark),
        "mktValue": _num(value),
        "currency": inst.currency,
        "avgCost": _num(pos.avg_price * inst.multiplier),
        "avgPrice": _num(pos.avg_price),
        "realizedPnl": _num(pos.realized_pnl),
        "unrealizedPnl": _num(value - pos.quantity * pos.avg_price * inst.multiplier),
    }


def secdef(inst: Instrument) -> dict[str, Any]:
    """One entry of ``/iserver/secdef/search``."""
    exchange = inst.primary_exchange or inst.exchange
    return {
        "conid": str(inst.con_id),
        "symbol": inst.symbol,
        "companyName": inst.long_name,
        "companyHeader": f"{inst.long_name} - {exchange}",
        "description": exchange,
        "sections": [{"secType": inst.sec_type, "exchange": inst.exchange}],
    }


def contract_info(inst: Instrument) -> dict[str, Any]:
    """``GET /iserver/contract/{conid}/info``."""
    return {
        "con_id": inst.con_id,
        "symbol": inst.symbol,
        "instrument_type": inst.sec_type,
        "exchange": inst.exchange,
        "currency": inst.currency,
        "local_symbol": inst.local_symbol,
        "company_name": inst.long_name,
        "multiplier": str(inst.multiplier),
        "valid_exchanges": inst.exchange,
    }


def snapshot(quote: Quote, fields: list[str]) -> dict[str, Any]:
    """One entry of ``/iserver/marketdata/snapshot`` (after the pre-flight call)."""
    values = {
        "31": str(quote.last),
        "84": str(quote.bid),
        "85": str(quote.ask_size),
        "86": str(quote.ask),
        "88": str(quote.bid_size),
        "87": str(quote.volume),
    }
    out: dict[str, Any] = {"conid": quote.con_id, "conidEx": str(quote.con_id)}
    out.update({f: values[f] for f in fields if f in values})
    return out
