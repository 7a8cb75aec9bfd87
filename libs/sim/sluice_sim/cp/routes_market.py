"""Accounts, contracts, market-data snapshots and positions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from sluice_sim.venue import ContractQuery, VenueError

from . import shapes
from .state import CpState

Json = Any


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

    def search(symbol: str, sec_type: str) -> Json:
        # IBKR's search takes a bare symbol: every security type matches unless one is named.
        query = ContractQuery(symbol=symbol, sec_type=sec_type)
        found = [i for i in venue.universe.instruments.values() if symbol and query.matches(i)]
        return [shapes.secdef(inst) for inst in found]

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
