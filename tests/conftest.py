"""Session-wide test wiring: the real Kafka broker (started here, or external via an option)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.kafka_broker import running_broker
from tests.support.kafka_stack import KafkaStack, running_stack


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


@pytest.fixture(scope="session")
def kafka_stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaStack]:
    """Sluice answering on the real broker (risk, router, market-data, keeper, TWS simulator),
    in its own process, trading a fresh paper account; shared by the whole session."""
    log = tmp_path_factory.mktemp("kafka-stack") / "stack.log"
    with running_stack(kafka_bootstrap, log) as stack:
        yield stack
