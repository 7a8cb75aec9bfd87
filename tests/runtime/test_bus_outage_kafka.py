"""On the real broker: a service started before its broker is live but not ready, waits, and is
ready once the broker is up; it drops readiness while the broker is gone, without exiting."""

from __future__ import annotations

import json
import signal
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber

from sluice_bus import ConsumerOptions, make_bus
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import signal as contract_signal
from tests.contract.recording import Recorder
from tests.support.demo_process import demo_service
from tests.support.kafka_broker import running_broker
from tests.support.net import free_port
from tests.support.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


async def readyz(port: int) -> tuple[int, str]:
    async with httpx.AsyncClient() as http:
        try:
            response = await http.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
        except httpx.TransportError as exc:
            return 0, type(exc).__name__
    return response.status_code, response.json()["reason"]


async def test_a_service_waits_for_its_broker_and_follows_it() -> None:
    kafka_port, port = free_port(), free_port()
    env = {"SLUICE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}"}
    with demo_service(port, **env) as process:

        async def waiting() -> bool:
            status, reason = await readyz(port)
            return status == 503 and reason.startswith("starting, waiting for the bus: ")

        await eventually(waiting, within=60, what="live, waiting for the bus")
        async with running_broker(port=kafka_port):

            async def ready() -> bool:
                return (await readyz(port))[0] == 200

            await eventually(ready, within=120, what="ready once the broker is up")

        async def unready() -> bool:
            status, reason = await readyz(port)
            return status == 503 and reason.startswith("bus not connected: ")

        await eventually(unready, within=30, what="not ready once the broker is gone")
        assert process.poll() is None  # waiting, not exited
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
    lines = [json.loads(line) for line in stdout.splitlines()]
    messages = [line["message"] for line in lines]
    attempts = [m for m in messages if "the bus did not start" in m]
    assert attempts and "attempt 1: KafkaConnectionError" in attempts[0]
    assert any(m.startswith("the bus reachable again after ") for m in messages)
    assert not any("exc_info" in line for line in lines)  # one line each, no traceback
    # the outages' own noise is held back: only the first failed start's lines get through
    assert sum(line["logger"].startswith("aiokafka") for line in lines) < 10


async def test_a_producer_whose_sequence_broke_is_replaced_and_the_record_published(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a broker outage longer than a batch may wait, an idempotent producer's sequence
    is lost (OutOfOrderSequenceNumber) and it never sends again: the chaos run saw
    market-data and the session-keeper publish nothing more until restarted."""
    bus = make_bus("outage-test", kafka_bootstrap)
    await bus.start()
    broken: set[int] = set()
    send = AIOKafkaProducer.send

    async def broken_once_for_good(self: AIOKafkaProducer, *args: Any, **kwargs: Any) -> Any:
        if not broken:
            broken.add(id(self))  # the first producer to send has lost its sequence
        if id(self) in broken:
            raise OutOfOrderSequenceNumber()
        return await send(self, *args, **kwargs)

    monkeypatch.setattr(AIOKafkaProducer, "send", broken_once_for_good)
    key = uuid.uuid4().hex
    try:
        for number in range(2):  # the broken send goes out on a new producer, the next too
            await bus.publish(SIGNALS, contract_signal(key, number), key=key)
        recorder = Recorder(key)
        await bus.consume([SIGNALS], group=key, handler=recorder,
                          options=ConsumerOptions(from_beginning=True))  # fmt: skip
        await eventually(lambda: len(recorder.messages) == 2, what="both signals")
        assert [e.signal_id for e in recorder.events] == ["s0", "s1"]
        assert broken
    finally:
        await bus.stop()
