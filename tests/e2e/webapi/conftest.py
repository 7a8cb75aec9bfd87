"""One webapi stack for the package: the four service processes on the session's Kafka broker,
the router on IBKR's hosted Web API (OAuth 1.0a) through a SOCKS5 proxy with a password."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.stack import ServiceStack, StackOptions, running
from tests.e2e.webapi.stack import WebApiBroker, WebApiStack

# Quotes arrive with the router's snapshot polls, about every 5 s (IBKR's order-list limit).
RISK_LIMITS = {"quote_max_age_s": 30, "max_signal_age_s": 15}  # see tests/e2e/conftest.py


@pytest.fixture(scope="package")
async def webapi(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WebApiStack]:
    """Started once; stopped with SIGTERM at the end, where every process must exit 0."""
    log_dir = tmp_path_factory.mktemp("webapi-logs")
    options = StackOptions(kafka_bootstrap, log_dir, risk_limits=RISK_LIMITS)
    async with running(ServiceStack(options, WebApiBroker)) as stack:
        yield stack
