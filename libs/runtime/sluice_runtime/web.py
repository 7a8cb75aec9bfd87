"""The HTTP face of a service: liveness, readiness, Prometheus metrics and its own routes.

The three probes are plain Starlette routes; FastAPI (about half a second of a service's start
on the 2-core box, ``docs/e2e.md``) is loaded only for a service with routes of its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sluice_bus.api import Bus
from sluice_runtime.component import Component
from sluice_runtime.metrics import CONTENT_TYPE_LATEST, ServiceMetrics
from sluice_runtime.tracing import instrument_app

if TYPE_CHECKING:
    from fastapi import APIRouter


class Phase(enum.Enum):
    """Where a service is in its life; only RUNNING can be ready."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


@dataclass(slots=True)
class RunState:
    """Mutable lifecycle state shared by the runner and the HTTP app."""

    phase: Phase = Phase.STARTING


def readiness(component: Component, bus: Bus, state: RunState) -> tuple[bool, str]:
    """Ready when running, the bus is connected and the component says so; with the reason."""
    if state.phase is Phase.STARTING and bus.unreachable is not None:
        return False, f"starting, waiting for the bus: {bus.unreachable}"
    if state.phase is not Phase.RUNNING:
        return False, state.phase.value
    if not bus.connected or bus.unreachable is not None:
        unreachable = f": {bus.unreachable}" if bus.unreachable else ""
        return False, f"bus not connected{unreachable}"
    ready, reason = component.readiness()
    return ready, reason or ("ready" if ready else "component not ready")


def build_app(
    component: Component,
    bus: Bus,
    metrics: ServiceMetrics | None = None,
    state: RunState | None = None,
    routes: APIRouter | None = None,
) -> Starlette:
    """An app with /healthz, /readyz, /metrics and the component's ``routes`` (a FastAPI app
    when there are any).

    Without ``state`` the component is taken as running (apps built around started parts).
    """
    seen = metrics or ServiceMetrics(component.name)
    run = state or RunState(Phase.RUNNING)

    async def healthz(request: Request) -> JSONResponse:
        """Liveness: answering at all proves the event loop is turning."""
        return JSONResponse({"status": "alive", "service": component.name})

    async def readyz(request: Request) -> JSONResponse:
        """Readiness: 200 when ready, else 503 with the reason."""
        ready, reason = readiness(component, bus, run)
        seen.ready.set(1 if ready else 0)
        body = {"ready": ready, "reason": reason, "service": component.name}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def prometheus(request: Request) -> Response:
        """Prometheus text exposition of this service's registry."""
        return Response(seen.render(), media_type=CONTENT_TYPE_LATEST)

    probes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    if routes is None:  # nothing of its own to serve or trace (probes are not traced)
        return Starlette(routes=probes)
    from fastapi import FastAPI  # noqa: PLC0415

    app = FastAPI(
        title=f"sluice {component.name}", docs_url=None, redoc_url=None, routes=list(probes)
    )
    app.include_router(routes)
    instrument_app(app)
    return app
