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
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

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


@dataclass(frozen=True)
class Ids:
    """This test's accounts: the login's two, and one outside it."""

    first: str = field(default_factory=paper_account)
    second: str = field(default_factory=paper_account)
    outside: str = field(default_factory=paper_account)


@pytest.fixture
def ids() -> Ids:
    return Ids()


@pytest.fixture
def tws_config(ids: Ids) -> TwsConfig:
    return TwsConfig(port=0, accounts=(ids.first, ids.second))


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


def router(
    services: Services, tws: TwsServer, ids: Ids, router_id: str, **env: str
) -> subprocess.Popen[str]:
    """A router process for the simulator's login (default account ``ids.first``)."""
    settings = {
        "TRADING_MODE": "paper", "IBKR_ACCOUNT": ids.first, "IBKR_PORT": str(tws.port),
        "IBKR_CLIENT_ID": str(40 + secrets.randbelow(50)), "SLUICE_ROUTER_ID": router_id,
    }  # fmt: skip
    return services.start("sluice_order_router", **{**settings, **env})


def events(collector: Collector, account: str, coid: str) -> list[object]:
    found = collector.events(ORDERS_EVENTS, key=account)
    return [e for e in found if getattr(e, "client_order_id", "") == coid]


def has(collector: Collector, account: str, coid: str, kind: type) -> bool:
    return any(isinstance(e, kind) for e in events(collector, account, coid))


def connected(collector: Collector, account: str) -> bool:
    reports = collector.events(SESSION_REPORTS, key=account, kind=ConnectionReport)
    return any(r.status == "connected" for r in reports)


def beating(collector: Collector, account: str) -> bool:
    return bool(collector.events(SESSION_REPORTS, key=account, kind=RouterHeartbeat))


def venue_accounts(tws: TwsServer, coid: str) -> list[str]:
    """The account of each order the simulator holds under ``orderRef`` = ``coid``."""
    return [o.spec.account for o in tws.venue.store if o.spec.order_ref == coid]


async def test_one_router_serves_both_accounts_of_its_login(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector], ids: Ids
) -> None:
    bus, collector = kafka
    router(services, tws, ids, f"r-{uuid.uuid4().hex[:6]}")  # no allow-list: every managed account
    for account in (ids.first, ids.second):  # the link's state is published for each account
        await eventually(partial(connected, collector, account), within=60, what=account)
        await eventually(partial(beating, collector, account), within=30, what=account)
    orders = {ids.first: f"a1-{uuid.uuid4().hex[:6]}", ids.second: f"a2-{uuid.uuid4().hex[:6]}"}
    for account, coid in orders.items():
        await bus.publish(ORDERS_APPROVED, approved(coid, account=account), key=account)
    for account, coid in orders.items():
        await eventually(partial(has, collector, account, coid, OrderFilled), within=60)
        assert venue_accounts(tws, coid) == [account]  # exactly one broker order, its account


async def test_the_default_account_and_the_allow_list_decided_by_risk(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector], ids: Ids
) -> None:
    bus, collector = kafka
    allow = f"{ids.first},{ids.second}"
    router(services, tws, ids, f"r-{uuid.uuid4().hex[:6]}", IBKR_ACCOUNTS=allow)
    services.start(
        "sluice_risk",
        IBKR_ACCOUNT=ids.first, IBKR_ACCOUNTS=allow, SLUICE_RISK_GROUP=f"risk-{uuid.uuid4().hex}",
        SLUICE_RISK_START_AT="latest", SLUICE_RISK_QUOTE_WAIT_S="0",
        # the collar wide open: earlier tests on the shared broker may have left an AAPL quote
        # far from this test's limit price
        SLUICE_RISK_LIMITS=(
            '{"require_session_state": false, "require_quote_for_limit": false,'
            ' "price_collar_bps": 1000000}'
        ),
    )  # fmt: skip
    await eventually(lambda: connected(collector, ids.first), within=60, what="router connected")
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
        outside.append(signal(f"out-{len(outside)}", ids.outside))
        await bus.publish(SIGNALS, outside[-1], key=strategy)
        return any(has(collector, ids.outside, s.client_order_id, OrderRejected) for s in outside)

    await eventually(rejected, within=60, interval=2.0, what="risk rejects the outside account")
    refusal = next(
        e
        for s in outside
        for e in events(collector, ids.outside, s.client_order_id)
        if isinstance(e, OrderRejected)
    )
    assert refusal.reason_code == "UNKNOWN_ACCOUNT"
    assert "allow-list" in refusal.message

    no_account, second = signal("default", None), signal("second", ids.second)
    for each in (no_account, second):
        await bus.publish(SIGNALS, each, key=strategy)
    await eventually(
        lambda: has(collector, ids.first, no_account.client_order_id, OrderFilled),
        within=60, what="the signal without an account filled in the default account",
    )  # fmt: skip
    await eventually(
        lambda: has(collector, ids.second, second.client_order_id, OrderFilled), within=60
    )
    assert venue_accounts(tws, no_account.client_order_id) == [ids.first]
    assert venue_accounts(tws, second.client_order_id) == [ids.second]
    assert all(not venue_accounts(tws, s.client_order_id) for s in outside)


async def test_a_second_router_claiming_an_account_refuses_to_start(
    services: Services, tws: TwsServer, kafka: tuple[Bus, Collector], ids: Ids
) -> None:
    _, collector = kafka
    first_id, second_id = f"r1-{uuid.uuid4().hex[:6]}", f"r2-{uuid.uuid4().hex[:6]}"
    first = router(services, tws, ids, first_id, IBKR_ACCOUNTS=f"{ids.first},{ids.second}")
    await eventually(lambda: connected(collector, ids.second), within=60, what="first router up")
    second = router(
        services, tws, ids, second_id, IBKR_ACCOUNT=ids.second, IBKR_ACCOUNTS=ids.second
    )
    assert second.wait(60) == 2
    assert second.stderr is not None
    lines = [line for line in second.stderr.read().splitlines() if "configuration error" in line]
    assert len(lines) == 1, lines
    assert ids.second in lines[0] and first_id in lines[0]
    assert first.poll() is None  # the router that holds the account goes on
