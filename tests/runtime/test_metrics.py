"""A service's own ``MetricSet`` joins its registry, and the bus's consumer lag is scraped."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import Counter

from sluice_bus import MemoryBroker, MemoryBus, Message
from sluice_proto.dlq import DeadLetter
from sluice_proto.topics import DLQ
from sluice_runtime.metrics import MetricSet, Sampled, ServiceMetrics
from tests.support.polling import eventually
from tests.support.prometheus import parse


def test_a_metric_set_is_served_with_the_standard_metrics() -> None:
    own = MetricSet()
    counter = own.add(Counter("sluice_demo_things", "Things.", ["kind"], registry=None))
    state = {"a": 2.0}
    own.add(Sampled("sluice_demo_level", "Level.", ["name"], lambda: [(("a",), state["a"])]))
    metrics = ServiceMetrics("demo")
    metrics.register(own)

    counter.labels(kind="x").inc()
    state["a"] = 5.0
    scrape = parse(metrics.render().decode())

    assert scrape.value("sluice_demo_things_total", kind="x") == 1
    assert scrape.value("sluice_demo_level", name="a") == 5
    assert scrape.value("sluice_service_info", service="demo") == 1


async def test_consumer_lag_counts_records_not_yet_handled() -> None:
    bus = MemoryBus(MemoryBroker(partitions=1), "demo")
    metrics = ServiceMetrics("demo")
    metrics.observe(bus)
    release = asyncio.Event()
    handled: list[Any] = []

    async def slow(message: Message[Any]) -> None:
        await release.wait()
        handled.append(message.event)

    await bus.start()
    await bus.consume([DLQ], group="slow", handler=slow)
    letter = DeadLetter(
        original_topic="t", partition=0, offset=0, key=None, value=b"", headers={},
        kind="undecodable", error="e", service="s",
    )  # fmt: skip
    for _ in range(3):
        await bus.publish(DLQ, letter, key=None)
    labels = {"group": "slow", "topic": DLQ, "partition": "0"}
    await eventually(lambda: parse(metrics.render().decode()).has("sluice_consumer_lag", **labels))
    lag = parse(metrics.render().decode()).value("sluice_consumer_lag", **labels)
    release.set()
    await eventually(lambda: len(handled) == 3)
    after = parse(metrics.render().decode()).value("sluice_consumer_lag", **labels)
    await bus.stop()

    assert lag == 3
    assert after == 0
