"""A consumer that cannot go on ends the service: stopped in order, exit status non-zero."""

from __future__ import annotations

import asyncio

from sluice_bus import Bus, MemoryBroker, MemoryBus
from sluice_runtime.component import Assembly
from sluice_runtime.config import SluiceSettings
from sluice_runtime.runner import EXIT_FAILED, serve
from tests.runtime.fakes import RecordingComponent
from tests.support.net import free_port
from tests.support.polling import eventually


async def test_a_fatal_bus_failure_stops_the_service_with_a_failure_status() -> None:
    journal: list[str] = []
    bus = MemoryBus(MemoryBroker(), "fatal-test")

    def build(settings: SluiceSettings, bus: Bus) -> Assembly[RecordingComponent]:
        return Assembly(RecordingComponent("fatal-test", bus, journal=journal))

    settings = SluiceSettings(http_host="127.0.0.1", http_port=free_port())
    service = asyncio.create_task(serve("fatal-test", settings, build, bus))
    await eventually(lambda: journal == ["fatal-test started"], what="the service to start")

    bus.fail(RuntimeError("transaction did not commit"))
    code = await asyncio.wait_for(service, timeout=30)

    assert code == EXIT_FAILED
    assert journal == ["fatal-test started", "fatal-test stopped (bus connected=True)"]
    assert not bus.connected  # the bus was stopped after the component


async def test_without_a_failure_the_bus_never_reports_one() -> None:
    bus = MemoryBus(MemoryBroker(), "healthy")
    waiter = asyncio.create_task(bus.wait_failed())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    waiter.cancel()
    assert bus.failure is None
