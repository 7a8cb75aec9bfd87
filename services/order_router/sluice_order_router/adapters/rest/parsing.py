"""Pure conversions between Sluice's types and the Client Portal's JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypedDict

from sluice_order_router.domain.broker import BrokerOrder, BrokerStatus, side_of
from sluice_proto import ApprovedOrder, Fill, Instrument, SweptOrder
from sluice_proto.common import SecType

_ORDER_TYPES = {
    "MKT": "MKT",
    "LMT": "LMT",
    "STP": "STP",
    "STP_LMT": "STOP_LIMIT",
    "TRAIL": "TRAIL",
    "TRAIL_LIMIT": "TRAILLMT",
    "MOC": "MOC",
    "LOC": "LOC",
}
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


class UnsupportedOnWebApiError(ValueError):
    """An order the Client Portal cannot express (the socket path can): refused, not bent."""


def order_body(order: ApprovedOrder, con_id: int) -> dict[str, Any]:
    """The ``POST /iserver/account/{acct}/orders`` body; ``cOID`` is our idempotency key."""
    return {"orders": [order_item(order, con_id)]}


def bracket_body(legs: list[ApprovedOrder], con_id: int) -> dict[str, Any]:
    """A bracket as one order list: each child's ``parentId`` is its parent's ``cOID``
    (IBKR's Web API bracket form; IBKR makes the children one OCA group itself)."""
    return {"orders": [order_item(leg, con_id) for leg in legs]}


def order_item(order: ApprovedOrder, con_id: int) -> dict[str, Any]:
    """One order of an order list."""
    _supported(order)
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
    if order.parent_client_order_id is not None:
        item["parentId"] = order.parent_client_order_id
    item.update(_prices(order))
    if order.trailing_amount is not None:
        item["trailingAmt"], item["trailingType"] = float(order.trailing_amount), "amt"
    if order.trailing_percent is not None:
        item["trailingAmt"], item["trailingType"] = float(order.trailing_percent), "%"
    return item


def _prices(order: ApprovedOrder) -> dict[str, float]:
    """``price`` and ``auxPrice`` as IBKR's place-order reference has them: ``price`` is the
    limit, or the stop of a STP or TRAIL; ``auxPrice`` the stop of a STOP_LIMIT or TRAILLMT."""
    price, aux = order.limit_price, order.stop_price
    if order.order_type == "STP":
        price, aux = order.stop_price, None
    elif order.order_type == "TRAIL":
        price, aux = order.trail_stop_price, None
    elif order.order_type == "TRAIL_LIMIT":
        aux = order.trail_stop_price
        if order.limit_price_offset is not None and aux is not None:
            sign = 1 if order.side == "BUY" else -1  # the limit is beyond the stop
            price = aux + sign * order.limit_price_offset
    return {name: float(v) for name, v in (("price", price), ("auxPrice", aux)) if v is not None}


def _supported(order: ApprovedOrder) -> None:
    if order.tif == "GTD":
        raise UnsupportedOnWebApiError(
            "tif GTD is not among the Web API's time-in-force values (DAY, GTC, IOC, OPG): "
            "use the socket path, or expires_at"
        )
    if order.oca_group is not None:
        raise UnsupportedOnWebApiError(
            "the Web API has no OCA group across separate orders: use the socket path"
        )
    if order.order_type == "TRAIL_LIMIT" and order.trail_stop_price is None:
        raise UnsupportedOnWebApiError(
            "the Web API takes a trailing limit's limit price, not its offset: "
            "give trail_stop_price so the limit can be derived"
        )


def modify_body(order: ApprovedOrder, con_id: int) -> dict[str, Any]:
    """The ``POST /iserver/account/{acct}/order/{orderId}`` body: the whole order with its new
    terms, not wrapped in a list."""
    [item] = order_body(order, con_id)["orders"]
    return dict(item)


def _price(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


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
        quantity=_price(raw.get("totalSize")),
        limit_price=_price(raw.get("price")),
        stop_price=_price(raw.get("auxPrice")),
    )


def accounts(body: Any) -> tuple[str, ...]:
    """The login's accounts from ``GET /iserver/accounts`` (``{"accounts": [...], ...}``)."""
    listed = body.get("accounts") if isinstance(body, dict) else None
    return tuple(str(a) for a in listed or [] if a)


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


def search_con_ids(results: Any, sec_type: str) -> list[int]:
    """The conIds of ``/iserver/secdef/search`` results with a section of ``sec_type``: the
    listings of a stock (one per exchange and currency), or the underlyings of an option."""
    if not isinstance(results, list):
        return []
    return [
        int(entry["conid"])
        for entry in results
        if isinstance(entry, dict)
        and any(s.get("secType") == sec_type for s in entry.get("sections") or [])
    ]


def month_code(expiry: str) -> str:
    """The Client Portal's contract month (``DEC26``) of ``YYYYMM`` or ``YYYYMMDD``."""
    return f"{_MONTHS[int(expiry[4:6]) - 1]}{expiry[2:4]}"


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _text(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return str(value) if value not in (None, "") else None


def _multiplier(raw: Any) -> Decimal | None:
    value = _dec(raw)
    return value if value > 0 and value != 1 else None


class _Listed(TypedDict):
    symbol: str
    sec_type: SecType
    exchange: str
    currency: str


def _listed(raw: Any, wanted: Instrument) -> _Listed:
    """The fields every contract answer gives alike (the asked instrument's where it is silent)."""
    return {
        "symbol": str(raw.get("symbol") or wanted.symbol),
        "sec_type": wanted.sec_type,
        "exchange": str(raw.get("exchange") or wanted.exchange),
        "currency": str(raw.get("currency") or ""),
    }


def contract_info(raw: Any, wanted: Instrument, expiry: str | None = None) -> Instrument:
    """``/iserver/contract/{conid}/info`` as an instrument; ``expiry`` where another answer
    (``/trsrv/futures``) has the last trade date."""
    return Instrument(
        **_listed(raw, wanted),
        con_id=int(raw["con_id"]),
        last_trade_date_or_contract_month=expiry or _text(raw, "maturity_date"),
        multiplier=_multiplier(raw.get("multiplier")),
        trading_class=_text(raw, "trading_class"),
        local_symbol=_text(raw, "local_symbol"),
    )


def futures(body: Any, symbol: str) -> list[tuple[int, str]]:
    """``/trsrv/futures``: each listed month's conId and last trade date (``YYYYMMDD``)."""
    entries = body.get(symbol, []) if isinstance(body, dict) else []
    return [(int(e["conid"]), str(e.get("ltd") or e.get("expirationDate"))) for e in entries]


def has_strike(body: Any, strike: Decimal, right: str) -> bool:
    """True when ``/iserver/secdef/strikes`` lists the strike for the right (C or P)."""
    listed = body.get("call" if right == "C" else "put", []) if isinstance(body, dict) else []
    return any(Decimal(str(s)) == strike for s in listed)


def secdef_info(raw: dict[str, Any], wanted: Instrument) -> Instrument:
    """One contract of ``/iserver/secdef/info`` (an option or future option of a month)."""
    right = str(raw.get("right") or "")[:1].upper()
    strike = _dec(raw.get("strike"))
    return Instrument(
        **_listed(raw, wanted),
        con_id=int(raw["conid"]),
        last_trade_date_or_contract_month=_text(raw, "maturityDate"),
        strike=strike if strike > 0 else None,
        right=right if right in ("C", "P") else None,  # type: ignore[arg-type]
        multiplier=_multiplier(raw.get("multiplier")),
        trading_class=_text(raw, "tradingClass"),
        primary_exchange=_text(raw, "listingExchange"),
    )


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
