"""Several services in one process on the in-memory bus: the embedded default (``sluice up``).

Each component gets its own ``MemoryBus`` over one shared ``MemoryBroker`` (or, when the
stack's settings name a Kafka bootstrap, its own ``KafkaBus``), so consumer groups, partitions
and dead letters behave as they would on Kafka, and optionally its own HTTP app on its own port.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import APIRouter

from sluice_bus import Bus, MemoryBroker
from sluice_runtime.buses import settings_bus
from sluice_runtime.component import Component
from sluice_runtime.config import SluiceSettings
from sluice_runtime.metrics import ServiceMetrics
from sluice_runtime.runner import Build, stop_in_order
from sluice_runtime.server import HttpServer
from sluice_runtime.web import Phase, RunState, build_app

log = logging.getLogger(__name__)

S = TypeVar("S", bound=SluiceSettings)


@dataclass(slots=True)
class Member:
    """One service of the stack."""

    name: str
    bus: Bus
    component: Component
    metrics: ServiceMetrics
    state: RunState
    http_port: int | None
    routes: APIRouter | None = None
    server: HttpServer | None = None


class EmbeddedStack:
    """Starts members in the order added and stops them in reverse."""

    def __init__(
        self,
        broker: MemoryBroker | None = None,
        *,
        http_host: str = "127.0.0.1",
        bus: SluiceSettings | None = None,
    ):
        """``bus`` holds the bus settings every member shares (default: in memory, 3
        partitions); ``broker`` is the in-memory log (default: a new one of that many)."""
        self.bus_settings = bus or SluiceSettings.model_construct()  # defaults, not the env
        self.broker = broker or MemoryBroker(self.bus_settings.partitions)
        self._http_host = http_host
        self._members: dict[str, Member] = {}

    def add(
        self, name: str, build: Build[S], settings: S, *, http_port: int | None = None
    ) -> Component:
        """Build a service on its own bus; ``http_port`` 0 serves on any free port."""
        if name in self._members:
            raise ValueError(f"service {name!r} added twice")
        bus = settings_bus(self.bus_settings, name, self.broker)
        metrics = ServiceMetrics(name)
        metrics.observe(bus)
        assembly = build(settings, bus)
        metrics.register(assembly.metrics)
        self._members[name] = Member(
            name, bus, assembly.component, metrics, RunState(), http_port, assembly.routes
        )
        return assembly.component

    def member(self, name: str) -> Member:
        """A member by service name (its bus, component, metrics, bound HTTP port)."""
        return self._members[name]

    async def start(self) -> None:
        """Start every member: HTTP (if any), bus, component; stops what started on failure."""
        started: list[Member] = []
        try:
            for member in self._members.values():
                started.append(member)
                await self._start(member)
        except BaseException:
            await self._stop(reversed(started))
            raise

    async def stop(self) -> None:
        """Stop members in reverse order: component, then bus, then HTTP."""
        await self._stop(reversed(list(self._members.values())))

    async def __aenter__(self) -> EmbeddedStack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _start(self, member: Member) -> None:
        if member.http_port is not None:
            app = build_app(
                member.component, member.bus, member.metrics, member.state, member.routes
            )
            member.server = HttpServer(app, self._http_host, member.http_port)
            await member.server.start()
            log.info("%s listening on %s:%d", member.name, self._http_host, member.server.port)
        await member.bus.start()
        await member.component.start()
        member.state.phase = Phase.RUNNING

    async def _stop(self, members: Iterable[Member]) -> None:
        for member in members:
            member.state.phase = Phase.STOPPING
            await stop_in_order(member.bus, member.component)
            if member.server is not None:
                await member.server.stop()
                member.server = None
