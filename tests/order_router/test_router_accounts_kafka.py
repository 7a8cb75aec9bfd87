"""Issue 12 §1 on the real Kafka broker: one router serves every account of its login, and no
two routers ever claim one account.

The TWS simulator's login manages two accounts (``managedAccounts`` lists both). Risk runs as
its own process in front of the router, since the default account and the allow-list are
decided there (one place), before any router sees an order.
"""

from __future__ import annotations

import secrets
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest

from sluice_bus import Bus, make_bus
from sluice_proto import Signal
from sluice_proto.orders import OrderFilled, OrderRejected
from sluice_proto.session import ConnectionReport, RouterHeartbeat
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS, SESSION_REPORTS, SIGNALS
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.server import TwsServer
from tests.support.collect import Collector
from tests.support.orders import approved
from tests.support.polling import eventually
from tests.support.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def paper_account() -> str:
    """A fresh paper account id: tests share the broker, so claims never cross tests."""
    return f"DU{secrets.randbelow(10**7):07d}"


FIRST, SECOND, OUTSIDE = paper_account(), paper_account(), paper_account()


@pytest.fixture
def tws_config() -> TwsConfig:
    return TwsConfig(port=0, accounts=(FIRST, SECOND))


@pytest.fixture
def services(kafka_bootstrap: str) -> Iterator[Services]:
    running = Services(kafka_bootstrap)
    yield running
    running.close()


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[tuple[Bus, Collector]]:
    bus = make_bus(f"test-{uuid.uuid4().hex[:6]}", kafka_bootstrap)
    await bus.start()
    topics = [ORDERS_EVENTS, SESSION_REPORTS]
    collector = await Collector().start(bus, topics, f"t-{uuid.uuid4().hex}")
    yield bus, collector
    await bus.stop()


def router(services: Services, tws: TwsServer, router_id: str, **env: str) -> subprocess.Popen[str]:
    return services.start(
        "sluice_order_router",
        TRADING_MODE="paper", IBKR_ACCOUNT=FIRST, IBKR_PORT=str(tws.port),
        IBKR_CLIENT_ID=str(40 + secrets.randbelow(50)), SLUICE_ROUTER_ID=router_id,
        **env,
    )  # fmt: skip


def events(collector: Collector, account: str, coid: str) -> list[object]:
    found = collector.events(ORDERS_EVENTS, key=account)
    return [e for e in found if getattr(e, "client_order_id", "") == coid]


def has(collector: Collector, account: str, coid: str, kind: type) -> bool:
    return any(isinstance(e, kind) for e in events(collector, account, coid))


def connected(collector: Collector, account: str) -> bool:
    reports = collector.events(SESSION_REPORTS, key=account, kind=ConnectionReport)
    return any(r.status == "connected" for r in reports)


def venue_accounts(tws: TwsServer, coid: str) -> list[str]:
    """The account of each order the simulator holds under ``orderRef`` = ``coid``."""
    return [o.spec.account for o in tws.venue.store if o.spec.order_ref == coid]


async def test_one_router_serves_both_accounts_of_its_login(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector]
) -> None:
    bus, collector = kafka
    router(services, tws, f"r-{uuid.uuid4().hex[:6]}")  # no allow-list: every managed account
    for account in (FIRST, SECOND):  # the link's state is published for each account
        await eventually(lambda a=account: connected(collector, a), within=60, what=account)
        await eventually(
            lambda a=account: collector.events(SESSION_REPORTS, key=a, kind=RouterHeartbeat),
            within=30, what=f"heartbeat of {account}",
        )  # fmt: skip
    orders = {FIRST: f"a1-{uuid.uuid4().hex[:6]}", SECOND: f"a2-{uuid.uuid4().hex[:6]}"}
    for account, coid in orders.items():
        await bus.publish(ORDERS_APPROVED, approved(coid, account=account), key=account)
    for account, coid in orders.items():
        await eventually(
            lambda a=account, c=coid: has(collector, a, c, OrderFilled), within=60, what=coid
        )
        assert venue_accounts(tws, coid) == [account]  # exactly one broker order, its account


async def test_the_default_account_and_the_allow_list_decided_by_risk(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector]
) -> None:
    bus, collector = kafka
    allow = f"{FIRST},{SECOND}"
    router(services, tws, f"r-{uuid.uuid4().hex[:6]}", IBKR_ACCOUNTS=allow)
    services.start(
        "sluice_risk",
        IBKR_ACCOUNT=FIRST, IBKR_ACCOUNTS=allow, SLUICE_RISK_GROUP=f"risk-{uuid.uuid4().hex}",
        SLUICE_RISK_START_AT="latest", SLUICE_RISK_QUOTE_WAIT_S="0",
        SLUICE_RISK_LIMITS='{"require_session_state": false, "require_quote_for_limit": false}',
    )  # fmt: skip
    await eventually(lambda: connected(collector, FIRST), within=60, what="router connected")
    strategy = f"s-{uuid.uuid4().hex[:6]}"

    def signal(signal_id: str, account: str | None) -> Signal:
        return Signal(
            signal_id=signal_id, strategy_id=strategy, symbol="AAPL", side="BUY",
            quantity=Decimal(10), order_type="LMT", limit_price=Decimal(1000), account=account,
        )  # fmt: skip

    # Outside the allow-list: rejected. Sent until risk (which starts at the latest offsets)
    # answers, so the other signals are sent once risk surely reads them.
    outside: list[Signal] = []

    async def rejected() -> bool:
        outside.append(signal(f"out-{len(outside)}", OUTSIDE))
        await bus.publish(SIGNALS, outside[-1], key=strategy)
        return any(has(collector, OUTSIDE, s.client_order_id, OrderRejected) for s in outside)

    await eventually(rejected, within=60, interval=2.0, what="risk rejects OUTSIDE")
    refusal = next(
        e
        for s in outside
        for e in events(collector, OUTSIDE, s.client_order_id)
        if isinstance(e, OrderRejected)
    )
    assert refusal.reason_code == "UNKNOWN_ACCOUNT"
    assert "allow-list" in refusal.message

    no_account, second = signal("default", None), signal("second", SECOND)
    for each in (no_account, second):
        await bus.publish(SIGNALS, each, key=strategy)
    await eventually(
        lambda: has(collector, FIRST, no_account.client_order_id, OrderFilled),
        within=60, what="the signal without an account filled in the default account",
    )  # fmt: skip
    await eventually(lambda: has(collector, SECOND, second.client_order_id, OrderFilled), within=60)
    assert venue_accounts(tws, no_account.client_order_id) == [FIRST]
    assert venue_accounts(tws, second.client_order_id) == [SECOND]
    assert all(not venue_accounts(tws, s.client_order_id) for s in outside)


async def test_a_second_router_claiming_an_account_refuses_to_start(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector]
) -> None:
    _, collector = kafka
    first_id, second_id = f"r1-{uuid.uuid4().hex[:6]}", f"r2-{uuid.uuid4().hex[:6]}"
    first = router(services, tws, first_id, IBKR_ACCOUNTS=f"{FIRST},{SECOND}")
    await eventually(lambda: connected(collector, SECOND), within=60, what="first router up")
    second = router(services, tws, second_id, IBKR_ACCOUNT=SECOND, IBKR_ACCOUNTS=SECOND)
    assert second.wait(60) == 2
    assert second.stderr is not None
    lines = [line for line in second.stderr.read().splitlines() if "configuration error" in line]
    assert len(lines) == 1, lines
    assert SECOND in lines[0] and first_id in lines[0]
    assert first.poll() is None  # the router that holds the account goes on
