"""Order endpoints: place and modify (with reply-prompt chains), reply, live orders, cancel,
trades."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import replace
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from sluice_sim.venue import Instrument, OrderSpec, PaperVenue, VenueError, VenueOrder
from sluice_sim.venue.orders import TRAILING

from . import shapes
from .prompts import OrderFacts, Pending, prompts_for
from .state import CP_CLIENT_ID, CpState

_LISTINGS = {"NASDAQ": "NASDAQ.NMS"}
_ORDER_TYPES = {
    "STOP": "STP",
    "STOP_LIMIT": "STP LMT",
    "STP_LMT": "STP LMT",
    "TRAILLMT": "TRAIL LIMIT",
}
Json = Any


def _dec(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _prices(order_type: str, raw: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(limit, stop) as IBKR's place-order reference reads ``price`` and ``auxPrice``: ``price``
    is the limit, or the stop of a STP or TRAIL; ``auxPrice`` the stop of a STOP_LIMIT or
    TRAILLMT."""
    price, aux = _dec(raw.get("price")), _dec(raw.get("auxPrice"))
    return (None, price) if order_type in ("STP", "TRAIL") else (price, aux)


def _spec(order_id: int, account: str, raw: dict[str, Any], parent_id: int = 0) -> OrderSpec:
    order_type = _ORDER_TYPES.get(str(raw.get("orderType", "")).upper(), "")
    order_type = order_type or str(raw.get("orderType", "")).upper()
    if order_type in TRAILING:
        return _trailing(order_id, account, raw, order_type, parent_id)
    limit, stop = _prices(order_type, raw)
    return OrderSpec(
        client_id=CP_CLIENT_ID,
        order_id=order_id,
        account=account,
        con_id=int(raw.get("conid", 0)),
        action=str(raw.get("side", "")).upper(),
        quantity=_dec(raw.get("quantity")) or Decimal(0),
        order_type=order_type,
        limit_price=limit,
        stop_price=stop,
        tif=str(raw.get("tif", "DAY")).upper(),
        order_ref=str(raw.get("cOID", "")),
        outside_rth=bool(raw.get("outsideRTH", False)),
        parent_id=parent_id,
    )


def _trailing(
    order_id: int, account: str, raw: dict[str, Any], order_type: str, parent_id: int
) -> OrderSpec:
    """The Web API's trailing terms: ``trailingAmt`` in ``trailingType`` ``amt`` or ``%``, the
    starting stop (``price`` for TRAIL, ``auxPrice`` for TRAILLMT) and TRAILLMT's limit."""
    plain = _spec(order_id, account, {**raw, "orderType": "MKT"}, parent_id)
    amount = _dec(raw.get("trailingAmt"))
    limit, stop = _prices(order_type, raw)
    percent = str(raw.get("trailingType", "amt")) == "%"
    offset = abs(stop - limit) if order_type == "TRAIL LIMIT" and stop and limit else None
    return replace(
        plain,
        order_type=order_type,
        limit_price=None,
        stop_price=None,
        trailing_amount=None if percent else amount,
        trailing_percent=amount if percent else None,
        trail_stop_price=stop,
        limit_price_offset=offset,
    )


def _modified(spec: OrderSpec, body: dict[str, Any]) -> dict[str, Any]:
    """A modify's body over the order's own contract, side and ``cOID`` (what it leaves out
    stays as it was)."""
    return {"conid": spec.con_id, "side": spec.action, "cOID": spec.order_ref, **body}


def _facts(raw: dict[str, Any], inst: Instrument, mid: Decimal) -> OrderFacts:
    """What the prompt texts quote: side, size, symbol, listing (IBKR's ``NASDAQ.NMS`` form
    for Nasdaq stocks) and the value estimate at the limit, else at the market."""
    quantity, price = _dec(raw.get("quantity")) or Decimal(0), _spec(0, "", raw).limit_price
    listing = inst.primary_exchange or inst.exchange
    return OrderFacts(
        side=str(raw.get("side", "")).upper(),
        quantity=quantity,
        symbol=inst.symbol,
        listing=_LISTINGS.get(listing, listing),
        price=price,
        value=quantity * (price or mid) * inst.multiplier,
        currency=inst.currency,
    )


def _list_refusal(venue: PaperVenue, raw: Json, children: list[Json]) -> str | None:
    """Why IBKR refuses an order list: a child not linked to the parent's cOID, or a cOID
    already used."""
    parent_ref = str(raw.get("cOID", ""))
    if any(str(c.get("parentId", "")) != parent_ref for c in children):
        return "A child order's parentId must be its parent's cOID"
    for ref in (str(o.get("cOID", "")) for o in (raw, *children)):
        if ref and venue.store.orders_with_ref(ref):
            return f"Local order ID={ref} is already registered."
    return None


def _place_all(venue: PaperVenue, specs: list[OrderSpec]) -> Json:
    """Place an order list in its order; IBKR's answer: one acknowledgement per order placed,
    then the error that stopped the rest."""
    placed: list[VenueOrder] = []
    try:
        for spec in specs:
            placed.append(venue.place(spec))
    except VenueError as exc:
        if not placed:
            return {"error": exc.text}
        return [*_acks(placed), {"error": exc.text}]
    return _acks(placed)


def _acks(placed: list[VenueOrder]) -> list[dict[str, str]]:
    return [{"order_id": str(o.perm_id), "order_status": o.status.value} for o in placed]


def order_routes(state: CpState) -> APIRouter:
    """The order endpoints bound to ``state``."""
    router = APIRouter()
    ids = itertools.count(1)
    venue = state.venue

    def execute(pending: Pending) -> Json:
        """Place the list: the parent (or the order a modify names), then its children
        (``parentId``: the parent's cOID)."""
        modified = venue.store.by_perm(pending.modifies) if pending.modifies else None
        order_id = modified.spec.order_id if modified is not None else next(ids)
        parent = _spec(order_id, pending.account, pending.order)
        children = [
            _spec(next(ids), pending.account, raw, parent.order_id) for raw in pending.children
        ]
        return _place_all(venue, [parent, *children])

    def ask_or_execute(pending: Pending, mid: Decimal) -> Json:
        """The order's reply-prompt chain first (scripted, or by the rules), then the order."""
        spec = _spec(0, pending.account, pending.order)
        chain = (
            state.scripted_prompts.pop(0)
            if state.scripted_prompts
            else prompts_for(
                state.config.prompt_rules,
                pending.facts,
                order_type=spec.order_type,
                stop=spec.stop_price if spec.stop_price is not None else spec.trail_stop_price,
                mid=mid,
            )
        )
        pending.chain = deque(chain)
        return state.prompts.ask(pending) if pending.chain else execute(pending)

    @router.post("/iserver/account/{account}/orders")
    async def place(account: str, body: dict[str, Any] = Body(...)) -> Json:  # noqa: B008
        if not state.accounts_queried:
            return JSONResponse({"error": "Please query /accounts first"}, 400)
        if account not in venue.accounts:
            return JSONResponse({"error": f"Account {account} is not valid"}, 400)
        raw, *children = body.get("orders") or [{}]
        if (refused := _list_refusal(venue, raw, children)) is not None:
            return {"error": refused}
        try:
            mid = venue.marks()[int(raw.get("conid", 0))]
        except (KeyError, ValueError):
            return {"error": "No security definition has been found for the request"}
        facts = _facts(raw, venue.universe.get(int(raw.get("conid", 0))), mid)
        pending = Pending(order=raw, account=account, facts=facts, children=children)
        return ask_or_execute(pending, mid)

    @router.post("/iserver/account/{account}/order/{order_id}")
    async def modify(account: str, order_id: str, body: dict[str, Any] = Body(...)) -> Json:  # noqa: B008
        """Modify a working order: the body is the whole order with its new terms, answered
        as a placement (prompts, then ``order_id`` and ``order_status``)."""
        order = venue.store.by_perm(int(order_id)) if order_id.isdigit() else None
        if order is None or order.spec.client_id != CP_CLIENT_ID:
            return {"error": f"OrderID {order_id} doesn't exist"}
        raw = _modified(order.spec, body)
        mid = venue.marks()[order.spec.con_id]
        facts = _facts(raw, venue.universe.get(order.spec.con_id), mid)
        pending = Pending(order=raw, account=account, facts=facts, modifies=order.perm_id)
        if order.status.is_done:  # nothing to ask about: the venue's refusal comes at once
            return execute(pending)
        return ask_or_execute(pending, mid)

    @router.post("/iserver/reply/{reply_id}")
    async def reply(reply_id: str, body: dict[str, Any] = Body(...)) -> Json:  # noqa: B008
        pending = state.prompts.take(reply_id)
        if pending is None:
            return JSONResponse({"error": f"reply id {reply_id} is not valid or expired"}, 400)
        if not body.get("confirmed"):
            return {"error": "Order was not submitted: the question was declined."}
        return state.prompts.ask(pending) if pending.chain else execute(pending)

    @router.get("/iserver/account/orders")
    async def live_orders() -> Json:
        if not state.orders_preflighted:
            state.orders_preflighted = True
            return {"orders": [], "snapshot": False}
        orders = [o for o in venue.store if o.spec.client_id == CP_CLIENT_ID]
        return {
            "orders": [shapes.live_order(o, venue.universe.get(o.spec.con_id)) for o in orders],
            "snapshot": True,
        }

    @router.delete("/iserver/account/{account}/order/{order_id}")
    async def cancel(account: str, order_id: str) -> Json:
        order = venue.store.by_perm(int(order_id)) if order_id.isdigit() else None
        if order is None or order.spec.client_id != CP_CLIENT_ID:
            return {"error": f"OrderID {order_id} doesn't exist"}
        try:
            venue.cancel(CP_CLIENT_ID, order.spec.order_id)
        except VenueError as exc:
            return {"error": exc.text}
        return {"msg": "Request was submitted", "order_id": order.perm_id, "account": account}

    @router.get("/iserver/account/trades")
    async def trades() -> Json:
        executions = venue.store.executions(CP_CLIENT_ID)
        return [shapes.trade(e, venue.universe.get(e.con_id)) for e in executions]

    return router
