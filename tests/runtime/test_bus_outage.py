"""A bus that cannot be reached: the start is tried again with backoff while the service is live
but not ready (and says why), and the client library's noise is one line per outage."""

from __future__ import annotations

import logging

import httpx
import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_runtime import build_app
from sluice_runtime.outages import OutageLog
from sluice_runtime.runner import start_bus
from sluice_runtime.web import Phase, RunState
from tests.runtime.fakes import RecordingComponent


class FlakyBus(MemoryBus):
    """A memory bus whose first ``failures`` starts fail as an unreachable broker's would."""

    def __init__(self, failures: int) -> None:
        super().__init__(MemoryBroker(), "risk")
        self.failures = failures
        self.attempts = 0

    async def start(self) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            logging.getLogger("fakeclient.conn").error("Unable connect to broker")
            raise ConnectionRefusedError("broker down")
        await super().start()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://risk")  # type: ignore[arg-type]


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


async def test_the_bus_start_is_tried_again_until_it_works_one_line_per_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bus = FlakyBus(failures=3)
    outage = OutageLog("the bus", ("fakeclient",)).attach([caplog.handler])
    bus.link_observer = outage
    try:
        await start_bus(bus, initial_s=0.01, max_s=0.02)
    finally:
        outage.detach()
    assert bus.attempts == 4 and bus.connected and bus.unreachable is None
    lines = messages(caplog)
    attempts = [line for line in lines if "the bus did not start" in line]
    assert len(attempts) == 3
    assert "attempt 1: ConnectionRefusedError: broker down" in attempts[0]
    assert not any(record.exc_info for record in caplog.records)  # no traceback
    # the first failure tells that the bus is down: the client's lines after it are held back
    assert lines.count("Unable connect to broker") == 1
    [back] = [line for line in lines if "reachable again" in line]
    assert "(2 log lines of fakeclient held back)" in back
    await bus.stop()


async def test_readyz_says_the_service_waits_for_the_bus_while_it_is_unreachable() -> None:
    bus = MemoryBus(MemoryBroker(), "risk")
    state = RunState()
    app = build_app(RecordingComponent("risk", bus), bus, state=state)
    async with client(app) as http:
        bus.link_changed("KafkaConnectionError: Unable to bootstrap")
        starting = await http.get("/readyz")
        alive = await http.get("/healthz")
        await bus.start()
        state.phase = Phase.RUNNING
        bus.link_changed("no Kafka broker of 127.0.0.1:9092 answers")  # an outage later on
        running = await http.get("/readyz")
        bus.link_changed(None)
    assert alive.status_code == 200
    assert starting.status_code == 503
    assert starting.json()["reason"] == (
        "starting, waiting for the bus: KafkaConnectionError: Unable to bootstrap"
    )
    assert (running.status_code, running.json()["reason"]) == (
        503,
        "bus not connected: no Kafka broker of 127.0.0.1:9092 answers",
    )
    await bus.stop()


def test_an_outage_is_one_line_with_its_duration(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    outage = OutageLog("Kafka", ("aiokafka",), clock=clock).attach([caplog.handler])
    noisy, neighbour = logging.getLogger("aiokafka.conn"), logging.getLogger("aiokafka_extra")
    try:
        noisy.error("before the outage")
        outage.link_down("no broker answers")
        outage.link_down("no broker answers")  # still the same outage
        for attempt in range(2400):
            noisy.error("Unable connect to node with id 1: %d", attempt)
        neighbour.error("not aiokafka's")
        clock.now += 14.8
        outage.link_up()
        noisy.error("after the outage")
    finally:
        outage.detach()
    assert messages(caplog) == [
        "before the outage",
        "Kafka unreachable: no broker answers",
        "not aiokafka's",
        "Kafka reachable again after 14.8 s of outage (2400 log lines of aiokafka held back)",
        "after the outage",
    ]
