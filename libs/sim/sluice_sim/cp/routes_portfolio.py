"""The account's portfolio summary (``/portfolio/{acct}/summary``); positions are served with
the market routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from . import shapes
from .state import CpState


def portfolio_routes(state: CpState) -> APIRouter:
    """The summary endpoint bound to ``state``."""
    router = APIRouter()
    venue = state.venue

    @router.get("/portfolio/{account}/summary")
    async def summary(account: str) -> Any:
        if account not in venue.accounts:
            return JSONResponse({"error": f"Account {account} is not valid"}, 400)
        currency = venue.accounts[account].currency
        return shapes.summary(venue.account_values(account), currency, venue.clock())

    return router
