"""HTTP requests continue the caller's W3C trace; the test hook sees every ended span."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from opentelemetry import trace

from sluice_bus import MemoryBroker, MemoryBus
from sluice_runtime import build_app
from sluice_runtime.tracing import install_memory_exporter
from tests.runtime.fakes import RecordingComponent

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_a_request_continues_the_callers_traceparent() -> None:
    exporter = install_memory_exporter()
    bus = MemoryBus(MemoryBroker(), "risk")
    component = RecordingComponent("risk", bus)
    routes = APIRouter()
    seen: list[str] = []

    def limits() -> dict[str, str]:
        seen.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
        return {}

    routes.add_api_route("/limits", limits)
    transport = httpx.ASGITransport(build_app(component, bus, routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://risk") as http:
        traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
        await http.get("/limits", headers={"traceparent": traceparent})
        await http.get("/healthz", headers={"traceparent": traceparent})

    assert seen == [TRACE_ID]
    server_spans = [
        span
        for span in exporter.get_finished_spans()
        if span.kind is trace.SpanKind.SERVER and span.context.trace_id == int(TRACE_ID, 16)
    ]
    # probes are not traced; the route is, inside the caller's trace
    assert [span.name for span in server_spans] == ["GET /limits"]
