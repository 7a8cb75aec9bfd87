"""A component that records what the runtime does to it."""

from __future__ import annotations

from sluice_bus import Bus, Message


class RecordingComponent:
    """Consumes ``topics`` (if any) into ``seen``; readiness is set by the test."""

    def __init__(
        self, name: str, bus: Bus, topics: tuple[str, ...] = (), journal: list[str] | None = None
    ) -> None:
        self.name = name
        self.bus = bus
        self.topics = topics
        self.ready: tuple[bool, str] = (True, "ready")
        self.seen: list[Message[object]] = []
        self.journal = journal if journal is not None else []

    async def start(self) -> None:
        if self.topics:
            await self.bus.consume(self.topics, group=self.name, handler=self._handle)
        self.journal.append(f"{self.name} started")

    async def stop(self) -> None:
        self.journal.append(f"{self.name} stopped (bus connected={self.bus.connected})")

    def readiness(self) -> tuple[bool, str]:
        return self.ready

    async def _handle(self, message: Message[object]) -> None:
        self.seen.append(message)
