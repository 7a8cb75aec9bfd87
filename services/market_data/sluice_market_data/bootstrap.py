"""Composition root: settings and a bus in, the market-data component and its routes out."""

from __future__ import annotations

import uuid

from sluice_bus.api import Bus
from sluice_market_data.config import MarketDataSettings
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry
from sluice_market_data.domain.history_cache import HistoryCache
from sluice_market_data.history import HistoryService
from sluice_market_data.http import quotes_router
from sluice_market_data.http_history import history_router
from sluice_market_data.service import MarketData
from sluice_runtime.component import Assembly


def build(settings: MarketDataSettings, bus: Bus) -> Assembly[MarketData]:
    """The market-data service with the configured budget, conflation and staleness."""
    history = HistoryService(
        bus,
        HistoryCache(settings.history_cache_entries),
        timeout_s=settings.history_timeout_s,
        group=f"market-data.history.{uuid.uuid4().hex[:12]}",
    )
    service = MarketData(
        bus,
        SubscriptionRegistry(settings.line_budget),
        QuoteBook(settings.min_interval, settings.stale_after),
        flush_s=settings.flush_ms / 1000,
        history=history,
    )
    routes = quotes_router(service)
    routes.include_router(history_router(history))
    return Assembly(service, routes)
