"""The HTTP face of a service: liveness, readiness, Prometheus metrics and its own routes."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse

from sluice_bus.api import Bus
from sluice_runtime.component import Component
from sluice_runtime.metrics import CONTENT_TYPE_LATEST, ServiceMetrics
from sluice_runtime.tracing import instrument_app


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
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz, /metrics and the component's ``routes``.

    Without ``state`` the component is taken as running (apps built around started parts).
    """
    metrics = metrics or ServiceMetrics(component.name)
    state = state or RunState(Phase.RUNNING)
    app = FastAPI(title=f"sluice {component.name}", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: answering at all proves the event loop is turning."""
        return {"status": "alive", "service": component.name}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 when ready, else 503 with the reason."""
        ready, reason = readiness(component, bus, state)
        metrics.ready.set(1 if ready else 0)
        body = {"ready": ready, "reason": reason, "service": component.name}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        """Prometheus text exposition of this service's registry."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    if routes is not None:  # only its own routes are traced: an app without any is not
        app.include_router(routes)  # instrumented (nor is the instrumentation imported)
        instrument_app(app)
    return app
