"""Composition root: settings and a bus in, the market-data component and its routes out."""

from __future__ import annotations

from sluice_bus.api import Bus
from sluice_market_data.config import MarketDataSettings
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry
from sluice_market_data.http import quotes_router
from sluice_market_data.service import MarketData
from sluice_runtime.component import Assembly


def build(settings: MarketDataSettings, bus: Bus) -> Assembly[MarketData]:
    """The market-data service with the configured budget, conflation and staleness."""
    service = MarketData(
        bus,
        SubscriptionRegistry(settings.line_budget),
        QuoteBook(settings.min_interval, settings.stale_after),
        flush_s=settings.flush_ms / 1000,
    )
    return Assembly(service, quotes_router(service))
