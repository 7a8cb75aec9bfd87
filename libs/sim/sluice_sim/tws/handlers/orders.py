"""Order, execution and order-id requests, and the order events pushed to clients."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from sluice_sim.tws.encode import executions as enc_exec
from sluice_sim.tws.encode import orders as enc_orders
from sluice_sim.tws.encode.session import error, next_valid_id
from sluice_sim.tws.fields import Fields
from sluice_sim.tws.handlers.market import resolve_one
from sluice_sim.tws.place_order import PlaceOrder, UnsupportedOrderError
from sluice_sim.tws.place_order import place_order as decode_place
from sluice_sim.tws.requests import executions as decode_executions
from sluice_sim.tws.session import Session
from sluice_sim.venue import (
    ExecutionOccurred,
    OrderSpec,
    OrderStatus,
    VenueError,
    VenueEvent,
    VenueOrder,
)
from sluice_sim.venue.orders import TRAILING

READ_ONLY = "Order rejected - reason:The API interface is currently in Read-Only mode."
DISCONNECTED = "Order rejected - reason:Connectivity between IB and TWS has been lost."
MISSING_EXCHANGE = "Error validating request.-'bG' : cause - Missing order exchange."
"""IBKR's 321 for an order (what-if included) whose contract names no exchange: a conId alone
is not enough to route it, so it is refused before any contract lookup."""

log = logging.getLogger(__name__)


def ignore(session: Session, fields: list[str]) -> None:
    """Requests the simulator accepts without a reply."""


def place_order(session: Session, fields: list[str]) -> None:
    faults = session.server.faults
    if faults.drop_orders > 0:  # lost on the way: IBKR never hears of it, so no reply at all
        faults.drop_orders -= 1
        log.warning("fault: placeOrder %s from client %d lost", fields[1], session.client_id)
        session.server.counters.dropped_orders += 1
        return
    order_id = int(fields[1])
    try:
        request = decode_place(fields)
    except UnsupportedOrderError as exc:
        session.send_error(order_id, 201, f"Order rejected - reason:{exc}")
        return
    if faults.read_only:
        session.send_error(order_id, 201, READ_ONLY)
        return
    if faults.connectivity_lost:
        session.send_error(order_id, 201, DISCONNECTED)
        return
    if not request.query.exchange:
        session.send_error(order_id, 321, MISSING_EXCHANGE)
        return
    inst = resolve_one(session, order_id, request.query)
    if inst is None:
        return
    try:
        spec = _spec(session, request, inst.con_id)
    except ValueError as exc:
        session.send_error(order_id, 321, f"Error validating request.-'bG' : cause - {exc}")
        return
    session.server.note_order_id(order_id)
    if request.what_if:
        try:
            what_if = session.venue.what_if(spec)
        except VenueError as exc:
            session.send_error(order_id, exc.code, exc.text)
            return
        session.send(enc_orders.open_order(spec, inst, 0, "PreSubmitted", what_if))
        return
    session.staged.append(spec)
    if not request.transmit:
        return  # TWS holds it until a later order (a bracket's last child) transmits it
    staged, session.staged = session.staged, []
    for held in staged:
        try:
            session.venue.place(held)
        except VenueError as exc:
            session.send_error(held.order_id, exc.code, exc.text)


def _spec(session: Session, request: PlaceOrder, con_id: int) -> OrderSpec:
    """The venue's terms; a trailing order's ``auxPrice`` is its trailing amount (IBKR's)."""
    trails = request.order_type in TRAILING
    return OrderSpec(
        client_id=session.client_id,
        order_id=request.order_id,
        account=request.account,
        con_id=con_id,
        action=request.action,
        quantity=request.quantity,
        order_type=request.order_type,
        limit_price=request.limit_price,
        stop_price=None if trails else request.stop_price,
        tif=request.tif,
        order_ref=request.order_ref,
        outside_rth=request.outside_rth,
        trailing_amount=request.stop_price if trails else None,
        trailing_percent=request.trailing_percent,
        trail_stop_price=request.trail_stop_price,
        limit_price_offset=request.limit_price_offset,
        good_till=good_till(request.good_till_date) if request.good_till_date else None,
        parent_id=request.parent_id,
        oca_group=request.oca_group,
        oca_type=request.oca_type,
    )


def good_till(raw: str) -> datetime:
    """IBKR's ``goodTillDate``: ``yyyymmdd-hh:mm:ss`` (UTC) or ``yyyymmdd hh:mm:ss [UTC]``; a
    named zone other than UTC is not modelled."""
    text = raw.removesuffix(" UTC").strip()
    for layout in ("%Y%m%d-%H:%M:%S", "%Y%m%d %H:%M:%S"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
    raise ValueError(f"goodTillDate {raw!r} is not yyyymmdd-hh:mm:ss")


def cancel_order(session: Session, fields: list[str]) -> None:
    order_id = int(fields[2])
    try:
        session.venue.cancel(session.client_id, order_id)
    except VenueError as exc:
        session.send_error(order_id, exc.code, exc.text)


def global_cancel(session: Session, fields: list[str]) -> None:
    """reqGlobalCancel: every open order goes, whichever client (or TWS user) placed it; each
    owner hears of its own as from cancelOrder (orderStatus Cancelled, then 202)."""
    cancelled = session.venue.global_cancel()
    log.info(
        "reqGlobalCancel from client %d: %d order(s) cancelled", session.client_id, len(cancelled)
    )


def order_messages(session: Session, order: VenueOrder) -> list[Fields]:
    """openOrder + orderStatus: how the gateway reports an order's state."""
    inst = session.venue.universe.get(order.spec.con_id)
    return [
        enc_orders.open_order(order.spec, inst, order.perm_id, order.status.value),
        enc_orders.order_status(order),
    ]


def send_order(session: Session, order: VenueOrder) -> None:
    for fields in order_messages(session, order):
        session.send(fields)


def req_open_orders(session: Session, fields: list[str]) -> None:
    for order in session.venue.store.open_orders():
        if session.sees(order.spec.client_id) or session.client_id == 0:
            send_order(session, order)
    session.send(enc_orders.open_order_end())


def req_all_open_orders(session: Session, fields: list[str]) -> None:
    for order in session.venue.store.open_orders():
        send_order(session, order)
    session.send(enc_orders.open_order_end())


def req_completed_orders(session: Session, fields: list[str]) -> None:
    for order in session.venue.store.completed_orders():
        inst = session.venue.universe.get(order.spec.con_id)
        session.send(enc_orders.completed_order(order, inst))
    session.send(enc_orders.completed_orders_end())


def req_executions(session: Session, fields: list[str]) -> None:
    """Executions matching the filter (client id 0 = every client), each with its commission."""
    flt = decode_executions(fields)
    for execution in session.venue.store.executions(flt.client_id or None):
        inst = session.venue.universe.get(execution.con_id)
        if (flt.account and flt.account != execution.account) or (
            flt.symbol and flt.symbol != inst.symbol
        ):
            continue
        if flt.side and flt.side[0] != execution.side[0]:
            continue
        session.send(enc_exec.exec_details(flt.req_id, execution, inst))
        session.send(enc_exec.commission_report(execution))
    session.send(enc_exec.exec_details_end(flt.req_id))


def req_ids(session: Session, fields: list[str]) -> None:
    session.send(next_valid_id(session.server.next_order_id()))


def on_venue_event(session: Session, event: VenueEvent) -> None:
    """Push an order event: executions as execDetails + commissionReport, else the order."""
    order = event.order
    if not session.sees(order.spec.client_id):
        return
    if isinstance(event, ExecutionOccurred):
        inst = session.venue.universe.get(order.spec.con_id)
        session.push(enc_exec.exec_details(enc_exec.NO_REQUEST, event.execution, inst))
        session.push(enc_exec.commission_report(event.execution))
        return
    for fields in order_messages(session, order):
        session.push(fields)
    if order.status is OrderStatus.CANCELLED:
        session.push(error(order.spec.order_id, 202, "Order Canceled - reason:"))
