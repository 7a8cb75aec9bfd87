"""What a service is to the runtime: something that starts on a bus, stops, and says if it is ready.

Each service's ``bootstrap.py`` builds one ``Component`` from its settings and a ``Bus``; the
runtime (a standalone process on Kafka, or the embedded stack on the in-memory bus) runs it.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter


class Component(Protocol):
    """A service's application core as the runtime sees it."""

    name: str

    async def start(self) -> None:
        """Start consumers and background tasks (the bus is already started)."""

    async def stop(self) -> None:
        """Stop background tasks; the runtime stops the bus afterwards."""

    def readiness(self) -> tuple[bool, str]:
        """Service-specific readiness beyond the bus (e.g. IBKR session); with a reason."""

    def routes(self) -> APIRouter | None:
        """Extra HTTP endpoints of this service, mounted beside /healthz, /readyz, /metrics."""
