"""A bus from a service's settings: every bus setting passes here on its way to ``make_bus``."""

from __future__ import annotations

from sluice_bus import Bus, MemoryBroker, make_bus
from sluice_runtime.config import SluiceSettings


def settings_bus(settings: SluiceSettings, service: str, broker: MemoryBroker | None = None) -> Bus:
    """Kafka on ``SLUICE_KAFKA_BOOTSTRAP`` with ``SLUICE_PARTITIONS``, else the in-memory bus
    on ``broker`` (a new one with ``SLUICE_PARTITIONS`` partitions when none is given)."""
    return make_bus(service, settings.kafka_bootstrap, broker, partitions=settings.partitions)
