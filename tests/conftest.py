"""Session-wide test wiring: the real Kafka broker (started here, or external via an option)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.kafka_broker import running_broker


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--kafka-bootstrap",
        metavar="HOST:PORT",
        default=None,
        help="use this Kafka broker instead of starting one from deploy/kafka",
    )


@pytest.fixture(scope="session")
async def kafka_bootstrap(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Bootstrap address of a real Kafka broker; starting it failing is a test error, not a skip."""
    external: str | None = request.config.getoption("--kafka-bootstrap")
    if external:
        yield external
        return
    async with running_broker() as broker:
        yield broker.bootstrap
