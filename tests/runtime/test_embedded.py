"""Several services in one process on one in-memory broker, each with its own HTTP app."""

from __future__ import annotations

from decimal import Decimal

import httpx

from sluice_bus import Bus
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from sluice_runtime import Assembly, EmbeddedStack, SluiceSettings
from tests.runtime.fakes import RecordingComponent
from tests.support.polling import eventually


async def test_members_share_the_broker_serve_http_and_stop_in_reverse() -> None:
    journal: list[str] = []
    settings = SluiceSettings()

    def build_risk(settings: SluiceSettings, bus: Bus) -> Assembly[RecordingComponent]:
        return Assembly(RecordingComponent("risk", bus, topics=(SIGNALS,), journal=journal))

    def build_strategy(settings: SluiceSettings, bus: Bus) -> Assembly[RecordingComponent]:
        return Assembly(RecordingComponent("strategy", bus, journal=journal))

    stack = EmbeddedStack()
    risk = stack.add("risk", build_risk, settings, http_port=0)
    strategy = stack.add("strategy", build_strategy, settings)
    assert isinstance(risk, RecordingComponent) and isinstance(strategy, RecordingComponent)

    async with stack:
        signal = Signal(
            signal_id="s1",
            strategy_id="st",
            symbol="AAPL",
            side="BUY",
            quantity=Decimal(1),
            order_type="MKT",
        )
        await strategy.bus.publish(SIGNALS, signal, key="st")
        await eventually(lambda: len(risk.seen) == 1)
        server = stack.member("risk").server
        assert server is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            ready = await http.get("/readyz")
            metrics = await http.get("/metrics")

    assert risk.seen[0].event == signal
    assert risk.seen[0].record.header("sluice-producer") == "strategy"
    assert ready.json() == {"ready": True, "reason": "ready", "service": "risk"}
    assert f'sluice_events_handled_total{{group="risk",topic="{SIGNALS}"}} 1.0' in metrics.text
    assert journal == [
        "risk started",
        "strategy started",
        "strategy stopped (bus connected=True)",
        "risk stopped (bus connected=True)",
    ]
    assert stack.member("risk").server is None
