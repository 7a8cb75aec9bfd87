"""A tiny service on the runtime, run as a subprocess by the runtime tests.

``python -m tests.runtime.demo_service``: on the Kafka bus by default (so a missing
``SLUICE_KAFKA_BOOTSTRAP`` is a configuration error), on a private in-memory bus with
``DEMO_BUS=memory``. The component logs its start and stop, which the tests observe, and
with ``DEMO_CONSUME=1`` consumes ``sluice.signals.v1`` in a group named after the service.
"""

from __future__ import annotations

import logging
import os
from typing import Literal

from fastapi import APIRouter
from pydantic import Field, SecretStr

from sluice_bus import Bus, MemoryBroker, MemoryBus, Message
from sluice_proto.topics import SIGNALS
from sluice_runtime import (
    Assembly,
    ConfigError,
    Port,
    Problem,
    SluiceSettings,
    kafka_bus,
    run_service,
)

log = logging.getLogger("demo")


class DemoSettings(SluiceSettings):
    """A required secret, an enum and a port: the kinds of variable services have."""

    demo_token: SecretStr
    trading_mode: Literal["paper", "live"] = "paper"
    ibkr_port: Port = Field(4002, json_schema_extra={"expects": "an IB Gateway/TWS port"})


class DemoComponent:
    name = "demo"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def start(self) -> None:
        if os.environ.get("DEMO_CONSUME") == "1":
            await self.bus.consume([SIGNALS], group=self.bus.service, handler=self._handle)
        log.info("demo component started")

    async def _handle(self, message: Message[object]) -> None:
        log.info("handled %d@%d", message.record.partition, message.record.offset)

    async def stop(self) -> None:
        log.info("demo component stopped; bus connected=%s", self.bus.connected)

    def readiness(self) -> tuple[bool, str]:
        return True, "ready"


def build(settings: DemoSettings, bus: Bus) -> Assembly[DemoComponent]:
    """Refuses live trading on the paper port, as a service guard would."""
    if settings.trading_mode == "live" and settings.ibkr_port == 4002:
        raise ConfigError([Problem("IBKR_PORT", "4002 is a paper port but TRADING_MODE=live")])
    routes = APIRouter()
    routes.add_api_route("/ping", lambda: {"pong": True})
    return Assembly(DemoComponent(bus), routes)


def _memory_bus(settings: SluiceSettings, service: str) -> Bus:
    return MemoryBus(MemoryBroker(settings.partitions), service)


if __name__ == "__main__":
    run_service(
        "demo",
        DemoSettings,
        build,
        bus_factory=_memory_bus if os.environ.get("DEMO_BUS") == "memory" else kafka_bus,
    )
