"""/healthz, /readyz and /metrics of ``build_app`` over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import APIRouter

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from sluice_runtime import ServiceMetrics, build_app
from sluice_runtime.web import Phase, RunState
from tests.runtime.fakes import RecordingComponent
from tests.support.polling import eventually


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(MemoryBroker(), "risk")
    yield bus
    await bus.stop()


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://risk")  # type: ignore[arg-type]


async def test_healthz_answers_while_the_loop_turns(bus: MemoryBus) -> None:
    async with client(build_app(RecordingComponent("risk", bus), bus)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive", "service": "risk"}


async def test_readyz_is_503_until_the_bus_is_connected(bus: MemoryBus) -> None:
    async with client(build_app(RecordingComponent("risk", bus), bus)) as http:
        before = await http.get("/readyz")
        await bus.start()
        after = await http.get("/readyz")
    assert (before.status_code, before.json()["reason"]) == (503, "bus not connected")
    assert (after.status_code, after.json()["ready"]) == (200, True)


async def test_readyz_is_503_with_the_components_reason(bus: MemoryBus) -> None:
    component = RecordingComponent("risk", bus)
    component.ready = (False, "session-keeper says trading not allowed")
    await bus.start()
    async with client(build_app(component, bus)) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "session-keeper says trading not allowed"


@pytest.mark.parametrize("phase", [Phase.STARTING, Phase.STOPPING])
async def test_readyz_is_503_while_starting_or_stopping(bus: MemoryBus, phase: Phase) -> None:
    await bus.start()
    app = build_app(RecordingComponent("risk", bus), bus, state=RunState(phase))
    async with client(app) as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()["reason"]) == (503, phase.value)


async def test_component_routes_are_mounted(bus: MemoryBus) -> None:
    routes = APIRouter()
    routes.add_api_route("/limits", lambda: {"max_notional": "1000"})
    async with client(build_app(RecordingComponent("risk", bus), bus, routes=routes)) as http:
        response = await http.get("/limits")
    assert response.json() == {"max_notional": "1000"}


async def test_metrics_count_handled_and_dead_lettered_records(bus: MemoryBus) -> None:
    metrics = ServiceMetrics("risk")
    bus.observer = metrics
    component = RecordingComponent("risk", bus, topics=(SIGNALS,))
    await bus.start()
    await component.start()
    signal = Signal(
        signal_id="s1",
        strategy_id="st",
        symbol="AAPL",
        side="BUY",
        quantity=Decimal(1),
        order_type="MKT",
    )
    await bus.publish(SIGNALS, signal, key="st")
    await bus.publish_raw(SIGNALS, b"not json", key=b"st")
    await eventually(
        lambda: (
            metrics.registry.get_sample_value(
                "sluice_events_dead_lettered_total",
                {"topic": SIGNALS, "group": "risk", "kind": "undecodable"},
            )
            == 1
        )
    )

    async with client(build_app(component, bus, metrics)) as http:
        await http.get("/readyz")
        response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert f'sluice_events_handled_total{{group="risk",topic="{SIGNALS}"}} 1.0' in text
    assert 'sluice_events_dead_lettered_total{group="risk",kind="undecodable"' in text
    assert "sluice_ready 1.0" in text
    assert 'sluice_service_info{service="risk"} 1.0' in text
