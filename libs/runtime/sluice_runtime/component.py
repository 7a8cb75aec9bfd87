"""What a service is to the runtime: something that starts on a bus, stops, and says if it is ready.

Each service's ``bootstrap.py`` builds one ``Component`` from its settings and a ``Bus`` and
attaches its HTTP routes, handing both over as an ``Assembly``; the runtime (a standalone
process on Kafka, or the embedded stack on the in-memory bus) runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:  # annotations only: importing FastAPI costs a service's start (docs/e2e.md)
    from fastapi import APIRouter
    from prometheus_client.registry import Collector


class Component(Protocol):
    """A service's application core as the runtime sees it."""

    name: str

    async def start(self) -> None:
        """Start consumers and background tasks (the bus is already started)."""

    async def stop(self) -> None:
        """Stop background tasks; the runtime stops the bus afterwards."""

    def readiness(self) -> tuple[bool, str]:
        """Service-specific readiness beyond the bus (e.g. IBKR session); with a reason."""


C_co = TypeVar("C_co", bound=Component, covariant=True)


@dataclass(frozen=True, slots=True)
class Assembly(Generic[C_co]):
    """What a service's ``bootstrap.build`` returns: the component and the routes serving it.

    The composition root attaches the routes, so a component never knows its HTTP layer and
    the HTTP module imports the component, never the other way round.
    """

    component: C_co
    routes: APIRouter | None = None
    """Extra HTTP endpoints, mounted beside /healthz, /readyz and /metrics."""
    metrics: Collector | None = None
    """The service's own Prometheus metrics (a ``MetricSet``), served on its /metrics."""
