"""The contract suite runs once per bus backend: in-memory, and Kafka on the real broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from decimal import Decimal

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sluice_bus import Bus, MemoryBroker, make_bus
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from tests.support.tracing import span_exporter

StartBus = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> tuple[str | None, MemoryBroker | None]:
    """Where buses of one test connect: a Kafka bootstrap address, or one shared MemoryBroker."""
    if request.param == "kafka":
        return request.getfixturevalue("kafka_bootstrap"), None
    return None, MemoryBroker()


@pytest.fixture
async def start_bus(
    backend: tuple[str | None, MemoryBroker | None],
) -> AsyncIterator[StartBus]:
    """Start buses (one per simulated process) on the backend; all are stopped afterwards."""
    span_exporter()  # an SDK provider, so records carry a real traceparent
    buses: list[Bus] = []

    async def start() -> Bus:
        bus = make_bus("contract", *backend)
        await bus.start()
        buses.append(bus)
        return bus

    yield start
    for bus in reversed(buses):
        await bus.stop()


@pytest.fixture
def uid() -> str:
    """A per-test prefix for keys and group ids: topics are shared, records are not."""
    return uuid.uuid4().hex[:10]


def signal(strategy_id: str, number: int) -> Signal:
    """A valid market-order signal."""
    return Signal(
        signal_id=f"s{number}",
        strategy_id=strategy_id,
        symbol="AAPL",
        side="BUY",
        quantity=Decimal(1),
        order_type="MKT",
    )


async def publish_signals(bus: Bus, key: str, numbers: Iterable[int]) -> None:
    """Publish ``signal(key, number)`` keyed ``key`` for each number, one after the other."""
    for number in numbers:
        await bus.publish(SIGNALS, signal(key, number), key=key)


@pytest.fixture
async def empty_topic(backend: tuple[str | None, MemoryBroker | None], uid: str) -> str:
    """A topic no one has written to (created on Kafka; the in-memory log makes it on use)."""
    name = f"contract.empty.{uid}"
    bootstrap, _ = backend
    if bootstrap is not None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, 3, 1)])
        finally:
            await admin.close()
    return name
