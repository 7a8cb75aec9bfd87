"""The market-data service's pure core: subscriptions within the line budget, conflated quotes."""

from sluice_market_data.domain.book import QuoteBook
from sluice_market_data.domain.refusals import end_subscription
from sluice_market_data.domain.registry import SubscriptionRegistry

__all__ = ["QuoteBook", "SubscriptionRegistry", "end_subscription"]
