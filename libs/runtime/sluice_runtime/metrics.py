"""Prometheus metrics of one service, in its own registry (several services may share a process).

``ServiceMetrics`` is also the bus's delivery observer: a backend calls ``handled`` after a
record's handler succeeded and its offset was committed, ``dead_lettered`` after a record went
to the DLQ, so ``/metrics`` shows count in == handled + dead-lettered per topic and group.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServiceMetrics"]


class ServiceMetrics:
    """The standard Sluice metrics; services register their own on ``registry``."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        info = Gauge(
            "sluice_service_info",
            "Constant 1, labelled with the service name.",
            ["service"],
            registry=self.registry,
        )
        info.labels(service=service).set(1)
        self.ready = Gauge(
            "sluice_ready", "1 while /readyz reports ready, else 0.", registry=self.registry
        )
        self._handled = Counter(
            "sluice_events_handled",
            "Records whose handler succeeded (then committed).",
            ["topic", "group"],
            registry=self.registry,
        )
        self._dead_lettered = Counter(
            "sluice_events_dead_lettered",
            "Records sent to the dead-letter topic.",
            ["topic", "group", "kind"],
            registry=self.registry,
        )

    def handled(self, topic: str, group: str) -> None:
        """One record of ``topic`` handled successfully by consumer group ``group``."""
        self._handled.labels(topic=topic, group=group).inc()

    def dead_lettered(self, topic: str, group: str, kind: str) -> None:
        """One record of ``topic`` dead-lettered by ``group`` (``kind`` as in ``DeadLetter``)."""
        self._dead_lettered.labels(topic=topic, group=group, kind=kind).inc()

    def render(self) -> bytes:
        """The registry in Prometheus text exposition format."""
        return generate_latest(self.registry)
