"""Pure conversions between Sluice's types and the Client Portal's JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sluice_order_router.domain.broker import BrokerOrder, BrokerStatus, side_of
from sluice_proto import ApprovedOrder, Fill, Instrument, SweptOrder

_ORDER_TYPES = {"MKT": "MKT", "LMT": "LMT", "STP": "STP", "STP_LMT": "STOP_LIMIT"}
_STATUS: dict[str, BrokerStatus] = {
    "pendingsubmit": "submitted",
    "presubmitted": "accepted",
    "submitted": "accepted",
    "pendingcancel": "accepted",
    "filled": "filled",
    "cancelled": "cancelled",
    "apicancelled": "cancelled",
    "inactive": "rejected",
}
_NOT_WORKING = frozenset({"pendingcancel", "filled", "cancelled", "apicancelled", "inactive"})


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def order_body(order: ApprovedOrder, con_id: int) -> dict[str, Any]:
    """The ``POST /iserver/account/{acct}/orders`` body; ``cOID`` is our idempotency key."""
    item: dict[str, Any] = {
        "acctId": order.account,
        "conid": con_id,
        "cOID": order.client_order_id,
        "orderType": _ORDER_TYPES[order.order_type],
        "side": order.side,
        "quantity": float(order.quantity),
        "tif": order.tif,
        "outsideRTH": order.outside_rth,
    }
    if order.limit_price is not None:
        item["price"] = float(order.limit_price)
    if order.stop_price is not None:
        item["auxPrice"] = float(order.stop_price)
    return {"orders": [item]}


def broker_status(raw: str) -> BrokerStatus:
    """IBKR's status word as a ``BrokerStatus`` (unknown words count as still working)."""
    return _STATUS.get(raw.replace("_", "").lower(), "accepted")


def broker_order(raw: dict[str, Any]) -> BrokerOrder:
    """One entry of ``GET /iserver/account/orders``."""
    filled = _dec(raw.get("filledQuantity"))
    status = broker_status(str(raw.get("status", "")))
    if status == "accepted" and filled > 0:
        status = "partially_filled"
    return BrokerOrder(
        client_order_id=str(raw.get("order_ref", "")),
        broker_order_id=str(raw.get("orderId", "")),
        perm_id=None,
        status=status,
        filled_quantity=filled,
        remaining_quantity=_dec(raw.get("remainingQuantity")),
        avg_fill_price=_dec(raw.get("avgPrice")),
    )


def is_working(raw: dict[str, Any]) -> bool:
    """True for an order of ``GET /iserver/account/orders`` that a cancel can still reach."""
    return str(raw.get("status", "")).replace("_", "").lower() not in _NOT_WORKING


def swept(raw: dict[str, Any], account: str) -> SweptOrder:
    """One entry of ``GET /iserver/account/orders`` (anyone's) as a cancel-all covers it."""
    remaining = raw.get("remainingQuantity")
    return SweptOrder(
        broker_order_id=str(raw.get("orderId", "")),
        account=str(raw.get("acct") or account),
        order_ref=str(raw.get("order_ref") or ""),
        symbol=str(raw.get("ticker", "")),
        side=side_of(str(raw.get("side", ""))),
        remaining_quantity=_dec(remaining) if remaining not in (None, "") else None,
    )


def fill(raw: dict[str, Any]) -> Fill:
    """One entry of ``GET /iserver/account/trades``."""
    stamp = raw.get("trade_time_r")
    executed = datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp else datetime.now(UTC)
    commission = raw.get("commission")
    return Fill(
        exec_id=str(raw["execution_id"]),
        quantity=_dec(raw.get("size")),
        price=_dec(raw.get("price")),
        commission=_dec(commission) if commission not in (None, "") else None,
        executed_at=executed,
    )


def secdef_con_id(results: Any, instrument: Instrument) -> int | None:
    """The conId of the search result whose sections carry the instrument's security type."""
    if not isinstance(results, list):
        return None
    for entry in results:
        sections = entry.get("sections") or []
        if any(s.get("secType") == instrument.sec_type for s in sections):
            return int(entry["conid"])
    return None


def is_prompt(body: Any) -> bool:
    """True when an order answer is a reply prompt rather than an acknowledgement."""
    return isinstance(body, list) and bool(body) and "messageIds" in body[0] and "id" in body[0]


def error_text(body: Any) -> str | None:
    """IBKR's ``{"error": ...}`` (sometimes inside a list, sometimes with HTTP 200)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return None
