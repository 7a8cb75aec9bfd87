"""A risk service on an in-memory broker, built from test settings and started warm."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import Instrument, Quote
from sluice_proto.topics import MD_QUOTES, SESSION_STATE
from sluice_risk.bootstrap import build
from sluice_risk.config import RiskSettings
from sluice_risk.service import Clock, RiskService
from tests.risk.factories import ACCOUNT, session
from tests.support.polling import eventually

TOKEN = "s3cret-admin-token"


def settings(**env: Any) -> RiskSettings:
    values: dict[str, Any] = {"SLUICE_RISK_DEFAULT_ACCOUNT": ACCOUNT}
    values.update(env)
    return RiskSettings(**values)


async def started(broker: MemoryBroker, clock: Clock | None = None, **env: Any) -> RiskService:
    """A running risk service that has seen a live session and a fresh AAPL quote; ``clock``
    replaces its clock (its idle-quote sweep then runs every few milliseconds)."""
    bus = MemoryBus(broker, "risk")
    await bus.start()
    await bus.publish(SESSION_STATE, session(), key=ACCOUNT)
    quote = Quote(instrument=Instrument(symbol="AAPL"), bid=Decimal("99.9"), ask=Decimal("100.1"))
    await bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
    service = build(settings(**env), bus).component
    if clock is not None:
        service.clock, service.quote_sweep_s = clock, 0.01
    await service.start()
    await eventually(lambda: service.state.market.mark("STK:AAPL:USD") is not None)
    await eventually(lambda: service.state.market.session(ACCOUNT) is not None)
    return service
