"""Market data and contract details requests."""

from __future__ import annotations

import asyncio

from sluice_sim.tws import requests
from sluice_sim.tws.encode import market
from sluice_sim.tws.encode.session import market_data_type
from sluice_sim.tws.session import Session
from sluice_sim.venue import ContractQuery, Instrument, InvalidRequestError, Quote, VenueError

MAX_TICKERS = "Max number of tickers has been reached"


def resolve_one(session: Session, req_id: int, query: ContractQuery) -> Instrument | None:
    """The single instrument a request names, or None after reporting IBKR's error."""
    try:
        found = session.venue.universe.resolve(query)
    except VenueError as exc:
        session.send_error(req_id, exc.code, exc.text)
        return None
    if len(found) > 1:
        session.send_error(req_id, 200, "The contract description specified is ambiguous")
        return None
    return found[0]


def send_quote(session: Session, req_id: int, quote: Quote) -> None:
    session.send(market.tick_price(req_id, market.BID, quote.bid, quote.bid_size))
    session.send(market.tick_price(req_id, market.ASK, quote.ask, quote.ask_size))
    session.send(market.tick_price(req_id, market.LAST, quote.last, quote.last_size))
    session.send(market.tick_size(req_id, market.VOLUME, quote.volume))


def req_market_data(session: Session, fields: list[str]) -> None:
    request = requests.market_data(fields)
    inst = resolve_one(session, request.req_id, request.query)
    if inst is None:
        return
    if session.server.faults.connectivity_lost:
        session.send_error(request.req_id, 1100, "Connectivity between IB and TWS has been lost.")
        return
    if not request.snapshot and not _line_free(session):
        session.send_error(request.req_id, 101, MAX_TICKERS)
        return
    session.send(market_data_type(request.req_id, 1))
    session.send(market.tick_req_params(request.req_id, inst.min_tick))
    send_quote(session, request.req_id, session.venue.quotes.quote(inst.con_id))
    if request.snapshot:
        session.send(market.tick_snapshot_end(request.req_id))
    else:
        session.market_data[request.req_id] = inst.con_id


def _line_free(session: Session) -> bool:
    """A streaming request needs a line; the user's lines are shared by all its API clients."""
    lines = session.server.config.market_data_lines
    return lines is None or session.server.market_data_lines_in_use() < lines


def cancel_market_data(session: Session, fields: list[str]) -> None:
    session.market_data.pop(int(fields[2]), None)


def req_market_data_type(session: Session, fields: list[str]) -> None:
    """Only live data exists here; the request is accepted and changes nothing."""


def on_quote(session: Session, quote: Quote) -> None:
    """Stream a new quote to every subscription of this session on that instrument."""
    for req_id, con_id in session.market_data.items():
        if con_id == quote.con_id:
            send_quote(session, req_id, quote)


def req_contract_details(session: Session, fields: list[str]) -> None:
    faults = session.server.faults
    if faults.slow_lookups > 0:
        faults.slow_lookups -= 1
        asyncio.get_running_loop().call_later(
            faults.slow_lookup_s, _contract_details, session, fields
        )
        return
    _contract_details(session, fields)


def _contract_details(session: Session, fields: list[str]) -> None:
    req_id, query = requests.contract_details(fields)
    try:
        found = session.venue.universe.resolve(query)
    except VenueError as exc:
        session.send_error(req_id, exc.code, exc.text)
        if isinstance(exc, InvalidRequestError):
            # ib_async treats 321 as a warning and would wait forever for the end marker
            session.send(market.contract_details_end(req_id))
        return
    for inst in found:
        session.send(market.contract_details(req_id, inst))
    session.send(market.contract_details_end(req_id))
