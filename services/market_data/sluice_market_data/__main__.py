"""``python -m sluice_market_data``: the market-data service as its own process on Kafka."""

from sluice_market_data.bootstrap import build
from sluice_market_data.config import MarketDataSettings
from sluice_runtime import run_service

if __name__ == "__main__":
    run_service("market-data", MarketDataSettings, build)
