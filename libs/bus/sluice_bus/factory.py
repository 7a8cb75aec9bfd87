"""Pick the bus backend from configuration: Kafka when a bootstrap address is given."""

from __future__ import annotations

from sluice_bus.api import Bus
from sluice_bus.kafka import KafkaBus
from sluice_bus.memory import MemoryBroker, MemoryBus


def make_bus(service: str, bootstrap: str | None, broker: MemoryBroker | None = None) -> Bus:
    """A ``KafkaBus`` on ``bootstrap`` (``SLUICE_KAFKA_BOOTSTRAP``), else a ``MemoryBus``.

    Services embedded in one process must share ``broker``; without one the bus gets a
    private broker (only useful to a service that talks to itself, e.g. in tests).
    """
    if bootstrap:
        return KafkaBus(service, bootstrap)
    return MemoryBus(broker if broker is not None else MemoryBroker(), service)
