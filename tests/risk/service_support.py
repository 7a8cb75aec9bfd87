"""A risk service on an in-memory broker, and waiting for what it publishes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import Instrument, Quote
from sluice_proto.codec import decode
from sluice_proto.topics import MD_QUOTES, SESSION_STATE
from sluice_risk.bootstrap import build
from sluice_risk.config import RiskSettings
from sluice_risk.service import RiskService
from tests.risk.factories import ACCOUNT, session

TOKEN = "s3cret-admin-token"


def settings(**env: Any) -> RiskSettings:
    values: dict[str, Any] = {"SLUICE_RISK_DEFAULT_ACCOUNT": ACCOUNT}
    values.update(env)
    return RiskSettings(**values)


def events(broker: MemoryBroker, topic: str) -> list[Any]:
    """Every event of a topic so far."""
    return [decode(topic, record.value) for record in broker.records(topic)]


async def until(broker: MemoryBroker, check: Callable[[], bool]) -> None:
    """Wait (at most 5 s) until ``check`` holds, looking again whenever the broker changes."""
    async with asyncio.timeout(5):
        while not check():
            # consumers may change state without appending: look again now and then too
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(broker.wait_for_change(), 0.05)


async def started(broker: MemoryBroker, **env: Any) -> RiskService:
    """A running risk service that has seen a live session and a fresh AAPL quote."""
    bus = MemoryBus(broker, "risk")
    await bus.start()
    await bus.publish(SESSION_STATE, session(), key=ACCOUNT)
    quote = Quote(instrument=Instrument(symbol="AAPL"), bid=Decimal("99.9"), ask=Decimal("100.1"))
    await bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
    service = build(settings(**env), bus)
    await service.start()
    await until(broker, lambda: service.state.market.mark("STK:AAPL:USD") is not None)
    await until(broker, lambda: service.state.market.session(ACCOUNT) is not None)
    return service
