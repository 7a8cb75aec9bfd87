"""The risk service on the in-memory bus: signals in, decisions and state out, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import msgspec
import pytest
from fastapi import FastAPI

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import (
    AmendOrder,
    ApprovedOrder,
    BrokerPnl,
    CancelAll,
    CancelOrder,
    CancelRequest,
    KillSwitch,
    ModifyRequest,
    OrderAmendRejected,
    OrderRejected,
    Resume,
    Signal,
    SignalDuplicate,
    utc_now,
)
from sluice_proto.broker import broker_pnl_key
from sluice_proto.risk_state import PositionState, RiskOrderState
from sluice_proto.topics import (
    BROKER_TRUTH,
    CONTROL,
    DLQ,
    ORDERS_APPROVED,
    ORDERS_EVENTS,
    RISK_STATE,
    SIGNALS,
)
from sluice_risk.bootstrap import build
from sluice_risk.http import risk_routes
from sluice_risk.service import RiskService
from tests.risk.factories import ACCOUNT, fill_event, signal
from tests.risk.service_support import TOKEN, settings, started
from tests.support.collect import of_type, topic_events
from tests.support.polling import eventually


@pytest.fixture
async def risk(broker: MemoryBroker) -> AsyncIterator[RiskService]:
    service = await started(broker, SLUICE_RISK_ADMIN_TOKEN=TOKEN)
    yield service
    await service.stop()


async def send(risk: RiskService, topic: str, event: msgspec.Struct, key: str) -> None:
    await risk.bus.publish(topic, event, key=key)


def fresh(signal_id: str, **fields: object) -> Signal:
    """A signal stamped now (the quotes on the bus are live, not at the test epoch)."""
    return signal(signal_id, created_at=utc_now(), **fields)


async def test_a_signal_becomes_one_approved_order_keyed_by_account(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("s1"), "strat")
    await eventually(lambda: len(broker.records(ORDERS_APPROVED)) == 1)
    [record] = broker.records(ORDERS_APPROVED)
    assert record.key == ACCOUNT.encode()
    [approved] = of_type(broker, ORDERS_APPROVED, ApprovedOrder)
    assert approved.client_order_id == fresh("s1").client_order_id
    states = of_type(broker, RISK_STATE, RiskOrderState)
    assert [(s.client_order_id, s.status) for s in states] == [(approved.client_order_id, "open")]


async def test_rejections_and_duplicates_are_lifecycle_events(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("fat", limit_price=Decimal(150)), "strat")
    await send(risk, SIGNALS, fresh("ok"), "strat")
    await send(risk, SIGNALS, fresh("ok"), "strat")
    await eventually(lambda: len(topic_events(broker, ORDERS_EVENTS)) >= 2)
    rejected = of_type(broker, ORDERS_EVENTS, OrderRejected)
    assert [(r.reason_code, r.rejected_by) for r in rejected] == [("PRICE_COLLAR", "risk")]
    assert "bps" in rejected[0].message
    assert len(of_type(broker, ORDERS_EVENTS, SignalDuplicate)) == 1
    assert len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1


async def test_cancel_requests_pass_to_the_router(broker: MemoryBroker, risk: RiskService) -> None:
    await send(risk, SIGNALS, CancelRequest(strategy_id="strat", signal_id="x"), "strat")
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, CancelOrder)) == 1)


async def test_amends_go_to_the_router_once_per_revision(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("s1"), "strat")
    amend = ModifyRequest(strategy_id="strat", signal_id="s1", revision=1, quantity=Decimal(12))
    await send(risk, SIGNALS, amend, "strat")
    await send(risk, SIGNALS, amend, "strat")  # a replay
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderAmendRejected)) == 1)
    [approved] = of_type(broker, ORDERS_APPROVED, AmendOrder)
    assert (approved.account, approved.revision, approved.quantity) == (ACCOUNT, 1, 12)
    [replayed] = of_type(broker, ORDERS_EVENTS, OrderAmendRejected)
    assert replayed.reason_code == "STALE_REVISION"
    states = of_type(broker, RISK_STATE, RiskOrderState)
    assert states[-1].revision == 1


async def test_kill_switch_on_the_control_topic_cancels_all_and_stops_orders(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("before"), "strat")
    await send(risk, CONTROL, KillSwitch(account=ACCOUNT, operator="ops", reason="drill"), ACCOUNT)
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, CancelAll)) == 1)
    [cancel_all] = of_type(broker, ORDERS_APPROVED, CancelAll)
    assert cancel_all.account == ACCOUNT and "drill" in cancel_all.reason
    await send(risk, SIGNALS, fresh("during"), "strat")
    await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, OrderRejected)) == 1)
    assert of_type(broker, ORDERS_EVENTS, OrderRejected)[0].reason_code == "KILL_SWITCH"
    await send(risk, CONTROL, Resume(account=ACCOUNT), ACCOUNT)
    await send(risk, SIGNALS, fresh("after"), "strat")
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 2)


async def test_fills_become_positions_on_the_state_topic_and_over_http(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("s1"), "strat")
    await eventually(lambda: len(broker.records(ORDERS_APPROVED)) == 1)
    await send(
        risk,
        ORDERS_EVENTS,
        fill_event(fresh("s1").client_order_id, "10", "99", final=True),
        ACCOUNT,
    )
    await eventually(lambda: len(of_type(broker, RISK_STATE, PositionState)) == 1)
    [position] = of_type(broker, RISK_STATE, PositionState)
    assert (position.quantity, position.avg_cost, position.unrealised_pnl) == (
        Decimal(10),
        Decimal(99),
        Decimal(10),
    )
    async with client(risk) as http:
        positions = (await http.get("/positions")).json()
        pnl = (await http.get("/pnl")).json()
    assert [(p["account"], p["quantity"], p["unrealised_pnl"]) for p in positions] == [
        (ACCOUNT, "10", "10.0")
    ]
    assert (pnl[0]["realised"], pnl[0]["unrealised"]) == ("0", "10.0")


def client(risk: RiskService) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(risk_routes(risk))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://risk")


async def test_http_kill_switch_needs_the_bearer_token(
    broker: MemoryBroker, risk: RiskService
) -> None:
    async with client(risk) as http:
        assert (await http.post("/kill-switch")).status_code == 401
        wrong = await http.post("/kill-switch", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await http.post(
            "/kill-switch", headers={"Authorization": f"Bearer {TOKEN}"}, json={"reason": "x"}
        )
        assert ok.status_code == 202
        assert risk.state.kill_reason(ACCOUNT) == "x"  # effective before the topic round trip
        await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, CancelAll)) == 1)
        [command] = of_type(broker, CONTROL, KillSwitch)
        assert (command.account, command.operator) == ("*", "http")
        resumed = await http.post("/resume", headers={"Authorization": f"Bearer {TOKEN}"})
        assert resumed.status_code == 202
        await eventually(lambda: risk.state.kill_reason(ACCOUNT) is None)


async def test_http_kill_switch_without_a_configured_token_is_disabled(
    broker: MemoryBroker,
) -> None:
    service = await started(broker)
    try:
        async with client(service) as http:
            response = await http.post("/kill-switch", headers={"Authorization": "Bearer "})
        assert response.status_code == 503
        assert "SLUICE_RISK_ADMIN_TOKEN" in response.json()["detail"]
        assert service.state.kills == {}
    finally:
        await service.stop()


async def test_a_restarted_service_restores_its_state_from_the_topics(
    broker: MemoryBroker, risk: RiskService
) -> None:
    await send(risk, SIGNALS, fresh("s1"), "strat")
    await eventually(lambda: len(broker.records(ORDERS_APPROVED)) == 1)
    await send(risk, ORDERS_EVENTS, fill_event(fresh("s1").client_order_id, "4", "100"), ACCOUNT)
    await send(risk, CONTROL, KillSwitch(account="DU999"), "DU999")
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, CancelAll)) == 1)
    await risk.stop()

    again = build(settings(), MemoryBus(broker, "risk")).component
    await again.start()
    try:
        assert again.state.kill_reason("DU999") is not None
        held = again.state.portfolio.position(ACCOUNT, "STK:AAPL:USD")
        assert held is not None and held.quantity == Decimal(4)
        [order] = again.state.orders.open_orders(ACCOUNT)
        assert order.filled_quantity == Decimal(4)
        await again.bus.publish(SIGNALS, fresh("s1"), key="strat")
        await eventually(lambda: len(of_type(broker, ORDERS_EVENTS, SignalDuplicate)) == 1)
        assert len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1
    finally:
        await again.stop()


async def test_a_new_group_starting_at_latest_ignores_signals_already_on_the_topic(
    broker: MemoryBroker,
) -> None:
    earlier = MemoryBus(broker, "strategy")
    await earlier.start()
    await earlier.publish(SIGNALS, fresh("before"), key="strat")
    service = await started(broker, SLUICE_RISK_START_AT="latest")
    try:
        await send(service, SIGNALS, fresh("after"), "strat")
        await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1)
        [approved] = of_type(broker, ORDERS_APPROVED, ApprovedOrder)
        assert approved.signal_id == "after"
        assert service.state.orders.get(fresh("before").client_order_id) is None
    finally:
        await service.stop()


async def test_the_brokers_pnl_passes_by_and_the_next_signal_is_decided(
    broker: MemoryBroker, risk: RiskService
) -> None:
    pnl = BrokerPnl(account=ACCOUNT, daily_pnl=Decimal("-5"))
    await send(risk, BROKER_TRUTH, pnl, broker_pnl_key(ACCOUNT))
    await send(risk, SIGNALS, fresh("after-pnl"), "strat")
    await eventually(lambda: len(of_type(broker, ORDERS_APPROVED, ApprovedOrder)) == 1)
    assert not broker.records(DLQ)  # not read as an order lifecycle event
