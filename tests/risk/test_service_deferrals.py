"""Deferred decisions on the in-memory bus: the quote wait, parking, expiry and a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import (
    ApprovedOrder,
    Instrument,
    KillSwitch,
    MdSubscribe,
    OrderExpired,
    OrderParked,
    OrderRejected,
    OrderReleased,
    Quote,
    utc_now,
)
from sluice_proto.topics import (
    CONTROL,
    MD_QUOTES,
    MD_SUBSCRIPTIONS,
    ORDERS_APPROVED,
    ORDERS_EVENTS,
    SESSION_STATE,
    SIGNALS,
)
from sluice_risk.bootstrap import build
from sluice_risk.service import RiskService
from tests.risk.factories import ACCOUNT, session, signal
from tests.risk.service_support import settings, started
from tests.support.collect import of_type
from tests.support.polling import eventually


@pytest.fixture
async def risk(broker: MemoryBroker) -> AsyncIterator[RiskService]:
    service = await started(broker, SLUICE_RISK_QUOTE_WAIT_S="5")
    yield service
    await service.stop()


async def halt(risk: RiskService, allowed: bool = False) -> None:
    await risk.bus.publish(SESSION_STATE, session(allowed, ts=utc_now()), key=ACCOUNT)
    await eventually(lambda: risk.state.market.session(ACCOUNT).trading_allowed is allowed)  # type: ignore[union-attr]


async def test_a_signal_without_a_quote_subscribes_as_risk_and_is_approved_on_the_first_quote(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await risk.bus.publish(SIGNALS, signal("m", symbol="MSFT", created_at=utc_now()), key="strat")
    await eventually(lambda: len(of_type(broker, MD_SUBSCRIPTIONS, MdSubscribe)) == 1)
    [subscribe] = of_type(broker, MD_SUBSCRIPTIONS, MdSubscribe)
    assert (subscribe.subscriber_id, subscribe.instrument.symbol) == ("risk", "MSFT")
    assert of_type(broker, ORDERS_APPROVED, ApprovedOrder) == []
    quote = Quote(instrument=Instrument(symbol="MSFT"), bid=Decimal("99.9"), ask=Decimal("100"))
    await risk.bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1)
    assert of_type(broker, ORDERS_EVENTS, OrderRejected) == []


async def test_a_quote_that_never_comes_ends_the_wait_with_no_quote(broker: MemoryBroker) -> None:
    risk = await started(broker, SLUICE_RISK_QUOTE_WAIT_S="0.2")
    try:
        await risk.bus.publish(SIGNALS, signal(symbol="MSFT", created_at=utc_now()), key="strat")
        await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderRejected)) == 1)
        [rejected] = of_type(broker, ORDERS_EVENTS, OrderRejected)
        assert rejected.reason_code == "NO_QUOTE" and "market-data" in rejected.message
    finally:
        await risk.stop()


async def test_a_parked_signal_is_released_and_approved_when_trading_resumes(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await halt(risk)
    await risk.bus.publish(SIGNALS, signal("p", created_at=utc_now()), key="strat")
    await risk.bus.publish(SIGNALS, signal("r", park=False, created_at=utc_now()), key="strat")
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderParked)) == 1)
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderRejected)) == 1)
    assert of_type(broker, ORDERS_EVENTS, OrderRejected)[0].reason_code == "TRADING_NOT_ALLOWED"
    await halt(risk, allowed=True)
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1)
    [released] = of_type(broker, ORDERS_EVENTS, OrderReleased)
    assert released.client_order_id == signal("p").client_order_id


async def test_a_parked_signal_expires_at_its_expiry(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await halt(risk)
    soon = utc_now() + timedelta(seconds=0.3)
    await risk.bus.publish(SIGNALS, signal(expires_at=soon, created_at=utc_now()), key="strat")
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderExpired)) == 1)
    await halt(risk, allowed=True)
    assert of_type(broker, ORDERS_APPROVED, ApprovedOrder) == []


async def test_the_kill_switch_refuses_parked_signals(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await halt(risk)
    await risk.bus.publish(SIGNALS, signal(created_at=utc_now()), key="strat")
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderParked)) == 1)
    await risk.bus.publish(CONTROL, KillSwitch(account=ACCOUNT, reason="drill"), key=ACCOUNT)
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderRejected)) == 1)
    assert of_type(broker, ORDERS_EVENTS, OrderRejected)[0].reason_code == "KILL_SWITCH"
    assert of_type(broker, ORDERS_EVENTS, OrderReleased) == []


async def test_a_parked_signal_survives_a_restart_and_is_released_after_it(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await halt(risk)
    await risk.bus.publish(SIGNALS, signal(created_at=utc_now()), key="strat")
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderParked)) == 1)
    await risk.stop()

    again = build(settings(), MemoryBus(broker, "risk")).component
    await again.start()
    try:
        assert len(again.state.deferrals) == 1
        await resume_with_a_fresh_quote(again)
        await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1)
        assert len(of_type(broker, ORDERS_EVENTS, OrderReleased)) == 1
    finally:
        await again.stop()


async def resume_with_a_fresh_quote(risk: RiskService) -> None:
    quote = Quote(instrument=Instrument(symbol="AAPL"), bid=Decimal("99.9"), ask=Decimal("100.1"))
    await risk.bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
    await halt(risk, allowed=True)
