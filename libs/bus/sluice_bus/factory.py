"""The one place a bus is built: Kafka when a bootstrap address is given, else in memory."""

from __future__ import annotations

from sluice_bus.api import Bus
from sluice_bus.kafka import KafkaBus
from sluice_bus.memory import MemoryBroker, MemoryBus

DEFAULT_PARTITIONS = 3


def make_bus(
    service: str,
    bootstrap: str | None = None,
    broker: MemoryBroker | None = None,
    *,
    partitions: int = DEFAULT_PARTITIONS,
    client_id: str | None = None,
) -> Bus:
    """A ``KafkaBus`` on ``bootstrap`` (``SLUICE_KAFKA_BOOTSTRAP``), else a ``MemoryBus``.

    ``partitions`` (``SLUICE_PARTITIONS``) is how many partitions the topics the bus creates
    get: on Kafka the catalogue topics that are missing, in memory every topic of a private
    broker (a shared ``broker`` keeps its own count). ``client_id`` names the Kafka client
    (default: the service). Services embedded in one process must share ``broker``; without
    one the bus gets a private broker (only useful to a service that talks to itself, e.g. in
    tests). Services build their bus from their settings with ``sluice_runtime.settings_bus``.
    """
    if bootstrap:
        return KafkaBus(service, bootstrap, partitions=partitions, client_id=client_id)
    return MemoryBus(broker if broker is not None else MemoryBroker(partitions), service)
