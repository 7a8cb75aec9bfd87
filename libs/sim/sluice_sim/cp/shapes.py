"""Venue objects in the Client Portal's JSON shapes (pure functions)."""

from __future__ import annotations

from datetime import datetime
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


def month_code(last_trade_date: str) -> str:
    """The Client Portal's contract month, ``DEC26`` for a date in December 2026."""
    return f"{_MONTHS[int(last_trade_date[4:6]) - 1]}{last_trade_date[2:4]}"


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def summary(values: dict[str, Decimal], currency: str, now: datetime) -> dict[str, Any]:
    """``GET /portfolio/{acct}/summary``: each account value under its lower-case tag."""
    stamp = int(now.timestamp() * 1000)
    return {
        tag.lower(): {
            "amount": _num(value), "currency": currency, "isNull": False, "timestamp": stamp,
            "value": None, "severity": 0,
        }
        for tag, value in values.items()
    }  # fmt: skip


def secdef(inst: Instrument, derivatives: list[Instrument]) -> dict[str, Any]:
    """One entry of ``/iserver/secdef/search``: a listing, with a section per derivative
    security type on it (its contract months, ``;``-separated)."""
    exchange = inst.primary_exchange or inst.exchange
    sections: list[dict[str, Any]] = [{"secType": inst.sec_type, "exchange": inst.exchange}]
    for sec_type in sorted({d.sec_type for d in derivatives}):
        of_type = [d for d in derivatives if d.sec_type == sec_type]
        months = sorted({d.last_trade_date[:6] for d in of_type})
        sections.append(
            {
                "secType": sec_type,
                "months": ";".join(month_code(m) for m in months),
                "exchange": ";".join(sorted({d.exchange for d in of_type})),
            }
        )
    return {
        "conid": str(inst.con_id),
        "symbol": inst.symbol,
        "companyName": inst.long_name,
        "companyHeader": f"{inst.long_name} - {exchange}",
        "description": exchange,
        "sections": sections,
    }


def contract_info(inst: Instrument) -> dict[str, Any]:
    """``GET /iserver/contract/{conid}/info``."""
    listing = inst.primary_exchange or inst.exchange
    return {
        "con_id": inst.con_id,
        "symbol": inst.symbol,
        "instrument_type": inst.sec_type,
        "exchange": listing,
        "currency": inst.currency,
        "local_symbol": inst.local_symbol,
        "trading_class": inst.trading_class,
        "company_name": inst.long_name,
        "multiplier": str(inst.multiplier),
        "maturity_date": inst.last_trade_date or None,
        "valid_exchanges": f"SMART,{listing}" if inst.exchange == "SMART" else inst.exchange,
    }


def future(inst: Instrument) -> dict[str, Any]:
    """One entry of ``GET /trsrv/futures`` (the sim's futures have no underlying conId)."""
    return {
        "symbol": inst.symbol,
        "conid": inst.con_id,
        "underlyingConid": 0,
        "expirationDate": int(inst.last_trade_date),
        "ltd": int(inst.last_trade_date),
    }


def secdef_info(inst: Instrument) -> dict[str, Any]:
    """One entry of ``GET /iserver/secdef/info`` (a derivative of the month asked for)."""
    kind = {"C": "Call", "P": "Put"}.get(inst.right, "")
    day = inst.last_trade_date
    return {
        "conid": inst.con_id,
        "symbol": inst.symbol,
        "secType": inst.sec_type,
        "exchange": inst.exchange,
        "listingExchange": inst.primary_exchange or None,
        "right": inst.right or None,
        "strike": _num(inst.strike),
        "currency": inst.currency,
        "cusip": None,
        "coupon": "No Coupon",
        "desc1": inst.symbol,
        "desc2": f"{month_code(day)[:3]} {day[6:]} '{day[2:4]} {inst.strike.normalize():f} {kind}",
        "maturityDate": day,
        "multiplier": str(inst.multiplier),
        "tradingClass": inst.trading_class,
        "validExchanges": inst.exchange,
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
