"""Sluice's event bus: one small port (``Bus``), a Kafka backend and an in-memory backend."""

from sluice_bus.api import (
    Bus,
    Consumer,
    ConsumerOptions,
    Handler,
    HandlerResult,
    Message,
    Outgoing,
    PartitionLag,
    Record,
)
from sluice_bus.factory import make_bus
from sluice_bus.kafka import KafkaBus
from sluice_bus.memory import MemoryBroker, MemoryBus

__all__ = [
    "Bus",
    "Consumer",
    "ConsumerOptions",
    "Handler",
    "HandlerResult",
    "KafkaBus",
    "MemoryBroker",
    "MemoryBus",
    "Message",
    "Outgoing",
    "PartitionLag",
    "Record",
    "make_bus",
]
