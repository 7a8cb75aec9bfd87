"""A replay on Kafka starts one client: the bounds and the records come from one consumer."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from sluice_bus import KafkaBus, kafka_replay
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import signal

pytestmark = pytest.mark.kafka


async def test_a_replay_starts_one_kafka_client(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = KafkaBus("replay-clients", kafka_bootstrap)
    await bus.start()
    started: list[AIOKafkaConsumer] = []

    class Counted(AIOKafkaConsumer):  # type: ignore[misc]
        async def start(self) -> None:
            started.append(self)
            await super().start()

    monkeypatch.setattr(kafka_replay, "AIOKafkaConsumer", Counted)
    try:
        await bus.publish(SIGNALS, signal("replay-clients", 0), key="replay-clients")
        replayed: list[Any] = [m async for m in bus.replay([SIGNALS], key="replay-clients")]
    finally:
        await bus.stop()

    assert any(m.event.strategy_id == "replay-clients" for m in replayed)
    assert len(started) == 1
