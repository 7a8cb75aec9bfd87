"""The client's history call without a stack: its errors say what a strategy can act on.
(Bars through a running stack: tests/cli/test_history_cli.py.)"""

from __future__ import annotations

import pytest

from sluice_client import (
    Instrument,
    MarketDataUnreachableError,
    SluiceClient,
    SluiceClientError,
    fetch_history,
)
from tests.support.net import free_port


async def test_nothing_listening_is_market_data_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MarketDataUnreachableError, match="market-data unreachable"):
        await fetch_history(url, Instrument(symbol="AAPL"), duration="1D", bar="5m")


async def test_history_needs_market_datas_address() -> None:
    client = SluiceClient("localhost:1", "momo")  # history never touches Kafka
    with pytest.raises(SluiceClientError, match="md_url"):
        await client.history("AAPL", duration="1D", bar="5m")
