"""Accounts, contracts, market-data snapshots and positions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from sluice_sim.venue import Instrument, VenueError

from . import shapes
from .state import CpState

Json = Any
_DERIVATIVES = frozenset({"FUT", "OPT", "FOP"})


def market_routes(state: CpState) -> APIRouter:
    """The account and market endpoints bound to ``state``."""
    router = APIRouter()
    venue = state.venue

    @router.get("/iserver/accounts")
    async def iserver_accounts() -> Json:
        state.accounts_queried = True
        ids = list(venue.accounts)
        return {"accounts": ids, "selectedAccount": ids[0], "aliases": {a: a for a in ids}}

    @router.get("/portfolio/accounts")
    async def portfolio_accounts() -> Json:
        return [
            {
                "id": a.account_id,
                "accountId": a.account_id,
                "currency": a.currency,
                "type": "DEMO" if a.is_paper else "INDIVIDUAL",
            }
            for a in venue.accounts.values()
        ]

    everything = list(venue.universe.instruments.values())

    def derivatives_of(listing: Instrument) -> list[Instrument]:
        """The sim's options (and futures options) hang off the listing of their symbol."""
        return [
            i for i in everything
            if i.sec_type in _DERIVATIVES and i.symbol == listing.symbol
            and i.currency == listing.currency
        ]  # fmt: skip

    def search(symbol: str, sec_type: str) -> Json:
        # IBKR's search takes a bare symbol and answers with listings (not derivatives); every
        # security type matches unless one is named, a derivative type naming its underlyings.
        listings = [
            i for i in everything
            if symbol and i.symbol.upper() == symbol.upper() and i.sec_type not in _DERIVATIVES
        ]  # fmt: skip
        out = []
        for inst in listings:
            derivatives = derivatives_of(inst)
            wanted = not sec_type or sec_type == inst.sec_type
            if wanted or any(d.sec_type == sec_type for d in derivatives):
                out.append(shapes.secdef(inst, derivatives))
        return out

    @router.get("/trsrv/futures")
    async def futures(symbols: str) -> Json:
        wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()]
        by_symbol = sorted(
            (i for i in everything if i.sec_type == "FUT"), key=lambda i: i.last_trade_date
        )
        return {s: [shapes.future(i) for i in by_symbol if i.symbol == s] for s in wanted}

    def chain(conid: int, sectype: str, month: str, exchange: str) -> list[Instrument]:
        listing = venue.universe.get(conid)
        return [
            d for d in derivatives_of(listing)
            if d.sec_type == sectype.upper()
            and shapes.month_code(d.last_trade_date) == month.upper()
            and (not exchange or exchange.upper() in {"SMART", d.exchange})
        ]  # fmt: skip

    @router.get("/iserver/secdef/strikes")
    async def strikes(conid: int, sectype: str, month: str, exchange: str = "SMART") -> Json:
        try:
            found = chain(conid, sectype, month, exchange)
        except VenueError as exc:
            return JSONResponse({"error": exc.text}, 400)
        return {
            side: sorted({float(d.strike) for d in found if d.right == right})
            for side, right in (("call", "C"), ("put", "P"))
        }

    @router.get("/iserver/secdef/info")
    async def secdef_info(
        conid: int, sectype: str, *, month: str = "", exchange: str = "SMART",
        strike: str = "", right: str = "",
    ) -> Json:  # fmt: skip
        try:
            found = chain(conid, sectype, month, exchange)
        except VenueError as exc:
            return JSONResponse({"error": exc.text}, 400)
        picked = [
            d for d in found
            if (not strike or d.strike == Decimal(strike))
            and (not right or d.right == right[:1].upper())
        ]  # fmt: skip
        return [shapes.secdef_info(d) for d in picked]

    @router.get("/iserver/secdef/search")
    async def search_get(symbol: str, secType: str = "") -> Json:  # noqa: N803
        return search(symbol, secType)

    @router.post("/iserver/secdef/search")
    async def search_post(body: dict[str, Any] = Body(...)) -> Json:  # noqa: B008
        return search(str(body.get("symbol", "")), str(body.get("secType", "")))

    @router.get("/iserver/contract/{conid}/info")
    async def contract_info(conid: int) -> Json:
        try:
            return shapes.contract_info(venue.universe.get(conid))
        except VenueError as exc:
            return JSONResponse({"error": exc.text}, 400)

    @router.get("/iserver/marketdata/snapshot")
    async def snapshot(conids: str, fields: str = "31,84,86") -> Json:
        if not state.accounts_queried:
            return JSONResponse({"error": "Please query /accounts first"}, 400)
        wanted = [int(c) for c in conids.split(",") if c.strip().isdigit()]
        quotes = venue.quotes.snapshot()
        out = []
        for con_id in (c for c in wanted if c in quotes):
            if con_id in state.snapshot_preflighted:
                out.append(shapes.snapshot(quotes[con_id], fields.split(",")))
            else:
                state.snapshot_preflighted.add(con_id)
                out.append({"conid": con_id, "conidEx": str(con_id)})
        return out

    @router.get("/portfolio/{account}/positions")
    @router.get("/portfolio/{account}/positions/{page}")
    async def positions(account: str, page: int = 0) -> Json:
        if account not in venue.accounts:
            return JSONResponse({"error": f"Account {account} is not valid"}, 400)
        marks = venue.marks()
        held = venue.accounts[account].positions.values()
        return [
            shapes.position(account, p, venue.universe.get(p.con_id), marks[p.con_id])
            for p in held
            if p.quantity != 0 and page == 0
        ]

    return router
