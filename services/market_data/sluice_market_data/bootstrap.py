"""Composition root: settings and a bus in, the market-data component out."""

from __future__ import annotations

from sluice_bus.api import Bus
from sluice_market_data.config import MarketDataSettings
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry
from sluice_market_data.service import MarketData


def build(settings: MarketDataSettings, bus: Bus) -> MarketData:
    """The market-data service with the configured budget, conflation and staleness."""
    return MarketData(
        bus,
        SubscriptionRegistry(settings.line_budget),
        QuoteBook(settings.min_interval, settings.stale_after),
        flush_s=settings.flush_ms / 1000,
    )
