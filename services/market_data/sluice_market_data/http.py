"""``GET /quotes`` and ``GET /quotes/{symbol}``: the latest quote of streaming instruments."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException

from sluice_market_data.service import MarketData


def quotes_router(service: MarketData) -> APIRouter:
    """The market-data service's HTTP routes."""
    router = APIRouter()

    @router.get("/quotes")
    async def all_quotes() -> dict[str, Any]:
        """Every current quote, with the line budget's use."""
        return {
            "lines_in_use": service.registry.lines_in_use,
            "line_budget": service.registry.line_budget,
            "quotes": [msgspec.to_builtins(q) for q in service.book.quotes()],
        }

    @router.get("/quotes/{symbol}")
    async def quotes_of(symbol: str) -> dict[str, Any]:
        """The quotes of every instrument with this symbol (any venue or currency); 404 if none."""
        found = [q for q in service.book.quotes() if q.instrument.symbol.upper() == symbol.upper()]
        if not found:
            raise HTTPException(404, f"no quote for {symbol!r}: not subscribed or no tick yet")
        return {"symbol": symbol, "quotes": [msgspec.to_builtins(q) for q in found]}

    return router
