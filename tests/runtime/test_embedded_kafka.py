"""The embedded stack on Kafka builds its buses from the environment's bus settings."""

from __future__ import annotations

import pytest

from sluice_bus import Bus
from sluice_proto.topics import SIGNALS, TOPICS
from sluice_runtime import Assembly, EmbeddedStack, SluiceSettings, read_settings
from tests.runtime.fakes import RecordingComponent
from tests.support.kafka_broker import running_broker


@pytest.mark.kafka
async def test_the_embedded_stack_on_kafka_creates_topics_with_sluice_partitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A broker of its own: the shared one already holds the catalogue topics.
    async with running_broker() as broker:
        monkeypatch.setenv("SLUICE_KAFKA_BOOTSTRAP", broker.bootstrap)
        monkeypatch.setenv("SLUICE_PARTITIONS", "5")
        settings = read_settings(SluiceSettings)

        def build(settings: SluiceSettings, bus: Bus) -> Assembly[RecordingComponent]:
            return Assembly(RecordingComponent("risk", bus, topics=(SIGNALS,)))

        stack = EmbeddedStack(bus=settings)
        component = stack.add("risk", build, settings)
        async with stack:
            ends = await component.bus.end_offsets(sorted(TOPICS))

    per_topic = {topic: sum(1 for t, _ in ends if t == topic) for topic in TOPICS}
    # an outbox has one partition, whatever SLUICE_PARTITIONS says
    assert per_topic == {topic: spec.partitions or 5 for topic, spec in TOPICS.items()}
