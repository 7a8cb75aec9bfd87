"""Prometheus metrics of one service, in its own registry (several services may share a process).

``ServiceMetrics`` is also the bus's delivery observer: a backend calls ``handled`` after a
record's handler succeeded and its offset was committed, ``dead_lettered`` after a record went
to the DLQ, so ``/metrics`` shows count in == handled + dead-lettered per topic and group. It
reads the bus's consumer lag at each scrape.

A service keeps its own trading metrics in one ``MetricSet`` (its ``metrics`` module), built
unregistered by its composition root and handed over in its ``Assembly``; the runtime adds it
to the service's registry. Labels stay bounded: accounts (from configuration), states and
reason codes, never order ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sluice_bus.api import Bus

__all__ = [
    "CONTENT_TYPE_LATEST",
    "LATENCY_BUCKETS_S",
    "MetricSet",
    "Sampled",
    "Samples",
    "ServiceMetrics",
    "seconds_between",
]

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; an order's hops take milliseconds when healthy and seconds when something waits."""

M = TypeVar("M", bound=Collector)


def seconds_between(start: datetime | None, end: datetime) -> float | None:
    """``end - start`` in seconds for a latency histogram, never negative (clocks of two
    hosts); None without a start."""
    return None if start is None else max(0.0, (end - start).total_seconds())


class MetricSet(Collector):
    """A service's own metrics, collected as one; create each with ``registry=None`` and
    ``add`` it, so the set can be built before the service's registry exists."""

    def __init__(self) -> None:
        self._members: list[Collector] = []

    def add(self, metric: M) -> M:
        """Make ``metric`` part of the set; returns it."""
        self._members.append(metric)
        return metric

    def collect(self) -> Iterable[Metric]:
        for member in self._members:
            yield from member.collect()


Samples = Iterable[tuple[Sequence[str], float]]
"""Label values and value of each sample of a gauge."""


class Sampled(Collector):
    """A gauge read from the service's state at scrape time (nothing to keep in step)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], read: Callable[[], Samples]
    ) -> None:
        self._name, self._documentation, self._labels = name, documentation, list(labels)
        self._read = read

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self._name, self._documentation, labels=self._labels)
        for values, value in self._read():
            family.add_metric(list(values), value)
        yield family


def _lag_samples(bus: Bus) -> Samples:
    return (((lag.group, lag.topic, str(lag.partition)), lag.records) for lag in bus.lag())


class ServiceMetrics:
    """The standard Sluice metrics; a service's own ``MetricSet`` joins them via ``register``."""

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

    def observe(self, bus: Bus) -> None:
        """Count ``bus``'s deliveries and dead letters and report its consumer lag."""
        bus.observer = self
        lag = Sampled(
            "sluice_consumer_lag",
            "Records a consumer group has yet to handle, per partition it owns.",
            ["group", "topic", "partition"],
            lambda: _lag_samples(bus),
        )
        self.registry.register(lag)

    def register(self, metrics: Collector | None) -> None:
        """Add a service's own metrics (None: it has none)."""
        if metrics is not None:
            self.registry.register(metrics)

    def handled(self, topic: str, group: str) -> None:
        """One record of ``topic`` handled successfully by consumer group ``group``."""
        self._handled.labels(topic=topic, group=group).inc()

    def dead_lettered(self, topic: str, group: str, kind: str) -> None:
        """One record of ``topic`` dead-lettered by ``group`` (``kind`` as in ``DeadLetter``)."""
        self._dead_lettered.labels(topic=topic, group=group, kind=kind).inc()

    def render(self) -> bytes:
        """The registry in Prometheus text exposition format."""
        return generate_latest(self.registry)
