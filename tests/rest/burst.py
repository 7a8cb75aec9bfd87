"""A burst of REST calls through the router's shared limiter (used by the test and bench/)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sluice_order_router.adapters.rest.client import CpClient
from sluice_order_router.adapters.rest.limiter import SharedLimiter
from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_sim.cp import CpSimConfig, CpSimulator


@dataclass(frozen=True, slots=True)
class BurstResult:
    calls: int
    seconds: float
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


async def burst(calls: int = 100) -> BurstResult:
    """Fire ``calls`` requests at once at a simulator enforcing IBKR's real limits."""
    sim = CpSimulator(CpSimConfig())
    await sim.start()
    settings = RestSettings.model_validate(
        {"IBKR_CP_BASE_URL": sim.base_url(), "IBKR_CP_CA_FILE": str(sim.cert_path)}
    )
    client = CpClient(settings, SharedLimiter())
    try:
        started = time.monotonic()
        await asyncio.gather(*(client.request("GET", "/iserver/accounts") for _ in range(calls)))
        elapsed = time.monotonic() - started
    finally:
        await client.close()
        await sim.stop()
    return BurstResult(calls, elapsed, sim.control.counters()["statuses"])
