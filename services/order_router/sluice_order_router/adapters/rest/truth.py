"""The account as the Client Portal / Web API reports it, as a broker-neutral ``BrokerTruth``:
``/portfolio/{acct}/positions/{page}``, ``/iserver/account/orders`` (every order of the
account, with or without ``cOID``) and ``/portfolio/{acct}/summary``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sluice_order_router.adapters.rest.client import CpClient
from sluice_order_router.adapters.rest.orders import order_list
from sluice_order_router.adapters.rest.parsing import is_working
from sluice_order_router.domain.broker import side_of
from sluice_proto import AccountSummary, BrokerOpenOrder, BrokerPosition, BrokerTruth, Instrument
from sluice_proto.common import SecType

PAGE_SIZE = 100
"""IBKR's positions come in pages of 100."""
MAX_PAGES = 50
_SEC_TYPES: frozenset[str] = frozenset(SecType.__args__)  # type: ignore[attr-defined]
_DERIVATIVES = frozenset({"FUT", "OPT", "FOP", "WAR"})
# the summary's lower-case keys → AccountSummary's fields
_SUMMARY_KEYS = {
    "netliquidation": "net_liquidation",
    "buyingpower": "buying_power",
    "availablefunds": "available_funds",
    "excessliquidity": "excess_liquidity",
    "totalcashvalue": "total_cash",
    "grosspositionvalue": "gross_position_value",
    "initmarginreq": "init_margin",
    "maintmarginreq": "maint_margin",
}


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _instrument(raw: dict[str, Any], sec_type_key: str) -> Instrument | None:
    """The entry's contract with the terms that name it (risk matches positions on them)."""
    symbol = str(raw.get("ticker") or raw.get("contractDesc") or "")
    sec_type = str(raw.get(sec_type_key) or "STK")
    if not symbol or sec_type not in _SEC_TYPES:
        return None
    terms: dict[str, Any] = {}
    if sec_type in _DERIVATIVES:
        right = str(raw.get("putOrCall") or "")[:1].upper()
        strike, multiplier = _dec(raw.get("strike")), _dec(raw.get("multiplier"))
        terms = {
            "last_trade_date_or_contract_month": str(raw.get("expiry") or "") or None,
            "strike": strike or None,
            "right": right if right in ("C", "P") else None,
            "multiplier": multiplier if multiplier and multiplier != 1 else None,
        }
    conid = raw.get("conid")
    try:
        return Instrument(
            symbol=symbol, sec_type=sec_type,  # type: ignore[arg-type]
            exchange=str(raw.get("listingExchange") or "SMART"),
            currency=str(raw.get("currency") or raw.get("cashCcy") or "USD"),
            con_id=int(conid) if conid else None, **terms,
        )  # fmt: skip
    except ValueError:  # terms IBKR left incomplete: not ours to guess
        return None


def position(raw: dict[str, Any]) -> BrokerPosition | None:
    """One entry of ``/portfolio/{acct}/positions/{page}`` (``avgPrice`` is per unit)."""
    named, quantity = _instrument(raw, "assetClass"), _dec(raw.get("position"))
    if named is None or not quantity:
        return None
    return BrokerPosition(instrument=named, quantity=quantity, avg_cost=_dec(raw.get("avgPrice")))


def open_order(raw: dict[str, Any]) -> BrokerOpenOrder | None:
    """One working entry of ``/iserver/account/orders``, whoever placed it."""
    named, side = _instrument(raw, "secType"), side_of(str(raw.get("side", "")))
    remaining = _dec(raw.get("remainingQuantity"))
    if named is None or side is None or not remaining or not is_working(raw):
        return None
    return BrokerOpenOrder(
        broker_order_id=str(raw.get("orderId", "")), instrument=named, side=side,
        remaining_quantity=remaining, order_ref=str(raw.get("order_ref") or ""),
        order_type=str(raw.get("orderType") or ""), limit_price=_dec(raw.get("price")),
    )  # fmt: skip


def summary(raw: Any) -> AccountSummary:
    """``/portfolio/{acct}/summary``: ``{"netliquidation": {"amount": ..., "currency": ...}}``."""
    fields: dict[str, Decimal] = {}
    currency = ""
    for key, field in _SUMMARY_KEYS.items():
        entry = raw.get(key) if isinstance(raw, dict) else None
        amount = _dec(entry.get("amount")) if isinstance(entry, dict) else None
        if amount is not None:
            fields[field] = amount
            currency = str(entry.get("currency") or currency)  # type: ignore[union-attr]
    return AccountSummary(currency=currency, **fields)


async def truth(client: CpClient, account: str) -> BrokerTruth:
    """Positions (every page), the account's working orders and its summary."""
    positions: list[BrokerPosition] = []
    for page in range(MAX_PAGES):
        body = await client.request("GET", f"/portfolio/{account}/positions/{page}")
        rows = body if isinstance(body, list) else []
        positions.extend(p for p in map(position, rows) if p is not None)
        if len(rows) < PAGE_SIZE:
            break
    orders = [o for o in map(open_order, await order_list(client, account)) if o is not None]
    figures = summary(await client.request("GET", f"/portfolio/{account}/summary"))
    return BrokerTruth(account=account, positions=positions, open_orders=orders, summary=figures)
