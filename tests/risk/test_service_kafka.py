"""On the real broker: one decision per signal across a restart of the risk service."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from sluice_bus import make_bus
from sluice_proto import ApprovedOrder, SignalDuplicate, utc_now
from sluice_proto.common import client_order_id
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS, SESSION_STATE, SIGNALS
from sluice_risk.bootstrap import build
from sluice_risk.service import RiskService
from tests.risk.factories import session, signal
from tests.risk.service_support import settings
from tests.support.collect import Collector
from tests.support.polling import eventually

pytestmark = pytest.mark.kafka


async def risk_service(bootstrap: str, account: str, group: str) -> RiskService:
    """A risk process of its own: a fresh bus, state restored from the topics."""
    bus = make_bus("risk", bootstrap)
    await bus.start()
    env = {
        "SLUICE_KAFKA_BOOTSTRAP": bootstrap,
        "SLUICE_RISK_DEFAULT_ACCOUNT": account,
        "SLUICE_RISK_GROUP": group,
        # Other tests' older signals on the shared topic are refused as too old.
        "SLUICE_RISK_LIMITS": {"require_quote_for_limit": False, "max_signal_age_s": 15},
    }
    service = build(settings(**env), bus).component
    await service.start()
    return service


async def stop(service: RiskService) -> None:
    await service.stop()
    await service.bus.stop()


async def test_a_restart_never_decides_a_signal_twice(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    account, strategy, group = f"DU{run}", f"strat-{run}", f"risk-{run}"
    tester = make_bus(f"tester-{run}", kafka_bootstrap)
    await tester.start()
    seen = await Collector().start(tester, [ORDERS_APPROVED, ORDERS_EVENTS], f"seen-{run}")

    # Other tests' signals on the shared topic may default to this run's account too:
    # count this run's strategy only.
    def approvals() -> list[ApprovedOrder]:
        found = seen.events(ORDERS_APPROVED, key=account, kind=ApprovedOrder)
        return [order for order in found if order.strategy_id == strategy]

    def duplicates() -> list[SignalDuplicate]:
        found = seen.events(ORDERS_EVENTS, key=account, kind=SignalDuplicate)
        return [event for event in found if event.strategy_id == strategy]

    async def publish(*signal_ids: str) -> None:
        for signal_id in signal_ids:
            # A symbol of this run's own: quotes other tests left on the topic must not apply.
            fresh = signal(
                signal_id, strategy_id=strategy, symbol=f"T{run}".upper(), created_at=utc_now()
            )
            await tester.publish(SIGNALS, fresh, key=strategy)

    await tester.publish(SESSION_STATE, session(account=account, ts=utc_now()), key=account)
    first = await risk_service(kafka_bootstrap, account, group)
    try:
        await eventually(lambda: first.state.market.session(account) is not None, what="session")
        await publish(*(f"s{n}" for n in range(5)))
        await eventually(lambda: len(approvals()) == 5, what="five approvals")
    finally:
        await stop(first)

    # Replayed signals and new ones, decided by a fresh process restored from the topics.
    await publish(*(f"s{n}" for n in range(5)), "s5", "s6")
    second = await risk_service(kafka_bootstrap, account, group)
    try:
        # The topics are shared with other tests: look for this run's five orders only.
        restored = [second.state.orders.get(client_order_id(strategy, f"s{n}")) for n in range(5)]
        assert all(order is not None and order.account == account for order in restored)
        await eventually(lambda: len(approvals()) == 7 and len(duplicates()) == 5, what="decided")
    finally:
        await stop(second)
        await tester.stop()
    ids = [order.client_order_id for order in approvals()]
    assert len(set(ids)) == 7
    assert {d.signal_id for d in duplicates()} == {f"s{n}" for n in range(5)}
    assert all(order.quantity == Decimal(10) for order in approvals())
