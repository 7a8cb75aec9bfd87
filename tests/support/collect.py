"""Test helpers shared by service adapter tests: the bus backend under test and a collector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import pytest

from sluice_bus import Bus, ConsumerOptions, MemoryBroker, Message
from sluice_proto.codec import decode
from sluice_proto.common import HEADER_PRODUCER

Backend = tuple[str | None, MemoryBroker | None]
T = TypeVar("T")


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Where one test's buses connect: a Kafka bootstrap address, or one shared MemoryBroker."""
    if request.param == "kafka":
        return request.getfixturevalue("kafka_bootstrap"), None
    return None, MemoryBroker()


@dataclass(frozen=True, slots=True)
class Seen:
    """One record a ``Collector`` received."""

    topic: str
    key: str | None
    producer: str | None
    event: Any


@dataclass
class Collector:
    """Every event of some topics reaching a private consumer group, in arrival order."""

    seen: list[Seen] = field(default_factory=list)

    async def start(self, bus: Bus, topics: list[str], group: str) -> Collector:
        """Consume ``topics`` from the beginning in ``group``."""
        options = ConsumerOptions(from_beginning=True)
        await bus.consume(topics, group=group, handler=self._collect, options=options)
        return self

    async def _collect(self, message: Message[Any]) -> None:
        record = message.record
        key = record.key.decode() if record.key is not None else None
        self.seen.append(Seen(record.topic, key, record.header(HEADER_PRODUCER), message.event))

    def events(
        self, topic: str, key: str | None = None, kind: type[msgspec.Struct] | None = None
    ) -> list[Any]:
        """Events of ``topic`` (with ``key``, of type ``kind`` when given), oldest first."""
        return [
            s.event
            for s in self.seen
            if s.topic == topic
            and (key is None or s.key == key)
            and (kind is None or isinstance(s.event, kind))
        ]


def topic_events(broker: MemoryBroker, topic: str) -> list[Any]:
    """Every event published on ``topic`` of an in-memory broker so far, oldest first."""
    return [decode(topic, record.value) for record in broker.records(topic)]


def of_type(broker: MemoryBroker, topic: str, kind: type[T]) -> list[T]:
    """The events of type ``kind`` published on ``topic`` of an in-memory broker so far."""
    return [event for event in topic_events(broker, topic) if isinstance(event, kind)]
