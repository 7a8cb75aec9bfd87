"""The REST path serves every account of the login, as ``GET /iserver/accounts`` lists them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from functools import partial

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.domain.accounts import Accounts
from sluice_order_router.service import RouterService
from sluice_proto import BrokerPnl, CancelAll
from sluice_proto.orders import (
    CancelAllSwept,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
)
from sluice_proto.topics import BROKER_TRUTH, ORDERS_EVENTS
from sluice_sim.cp import CpSimulator
from sluice_sim.venue.venue import VenueConfig
from tests.egress.fixtures import cp_simulator, gateway, rest_settings
from tests.rest.conftest import StartRestRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import accepted, approved, kinds, of, resting, send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

SECOND = "DU7654321"
LIVE = "U7654321"  # managed by the same login, but a live account: refused on paper


@pytest.fixture
async def sim() -> AsyncIterator[CpSimulator]:
    cash = Decimal(1_000_000)
    venue = VenueConfig(accounts={ACCOUNT: cash, SECOND: cash, LIVE: cash})
    async with cp_simulator(allowlist=None, venue=venue) as simulator:
        yield simulator


def resting_in(coid: str, account: str) -> object:
    """A resting limit order for ``account``."""
    return approved(coid, order_type="LMT", limit_price=Decimal("1.00"), account=account)


def venue_accounts(sim: CpSimulator, coid: str) -> list[str]:
    return [o.spec.account for o in sim.state.venue.store if o.spec.order_ref == coid]


async def test_one_rest_router_serves_every_paper_account_the_login_lists(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    router, broker = await start_rest_router()
    assert router.accounts.managed == (ACCOUNT, SECOND, LIVE)
    assert router.accounts.trading == {ACCOUNT, SECOND}  # the live one is refused
    for coid, account in (("first-1", ACCOUNT), ("second-1", SECOND), ("live-1", LIVE)):
        await send(broker, resting_in(coid, account))
    for coid, account in (("first-1", ACCOUNT), ("second-1", SECOND)):
        await eventually(partial(accepted, broker, coid), what=coid)
        assert venue_accounts(sim, coid) == [account]
    await eventually(lambda: OrderRejected in kinds(broker, "live-1"), what="live refused")
    [refused] = [e for e in of(broker, "live-1") if isinstance(e, OrderRejected)]
    assert refused.reason_code == "UNKNOWN_ACCOUNT" and "live account" in refused.message
    assert venue_accounts(sim, "live-1") == []

    await send(broker, CancelAll(account=SECOND, reason="kill switch of one account"))
    await eventually(lambda: OrderCancelled in kinds(broker, "second-1"), what="second cancelled")
    await eventually(lambda: any(isinstance(e, CancelAllSwept) for e in sweeps(broker)))
    assert {e.account for e in sweeps(broker)} == {SECOND}
    assert OrderCancelled not in kinds(broker, "first-1")  # the other account's order stays


def sweeps(broker: MemoryBroker) -> list[CancelAllSwept]:
    return [e for e in topic_events(broker, ORDERS_EVENTS) if isinstance(e, CancelAllSwept)]


async def test_an_allowed_account_the_login_does_not_manage_is_refused(sim: CpSimulator) -> None:
    broker = MemoryBroker()
    bus = MemoryBus(broker, "order-router")
    await bus.start()
    settings = rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1")
    accounts = Accounts(default=ACCOUNT, mode="paper", allowed=frozenset({ACCOUNT, "DU0000009"}))
    router = RouterService(bus, gateway(settings), accounts=accounts)
    await router.start()
    try:
        await eventually(lambda: router.readiness()[0], what="session up")
        await eventually(lambda: accounts.managed is not None)
        assert "not managed by this login" in accounts.refused["DU0000009"]
        await send(broker, resting_in("stranger-1", "DU0000009"))
        await send(broker, resting("own-1"))
        await eventually(lambda: OrderRejected in kinds(broker, "stranger-1"))
        await eventually(lambda: OrderAccepted in kinds(broker, "own-1"))
        assert venue_accounts(sim, "stranger-1") == []
    finally:
        await router.stop()
        await bus.stop()


async def test_the_pnl_of_every_account_traded_and_of_no_other(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()

    def pnls() -> list[BrokerPnl]:
        return [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerPnl)]

    # spl carries every account of the login, from the subscription on
    await eventually(lambda: {p.account for p in pnls()} == {ACCOUNT, SECOND}, what="PnLs")
    await send(broker, approved("second-pnl", account=SECOND))
    await eventually(lambda: OrderFilled in kinds(broker, "second-pnl"), what="the fill")
    value = sim.state.venue.account_values(SECOND)["GrossPositionValue"]
    await eventually(
        lambda: [p for p in pnls() if p.account == SECOND][-1].market_value == value,
        what="SECOND's PnL after its fill",
    )
    assert LIVE not in {p.account for p in pnls()}  # refused: its figures are not ours


def _spl(*accounts: str) -> dict[str, object]:
    rows = {
        f"{a}.Core": {"rowType": 1, "dpl": 1.5, "upl": 1.5, "nl": 9.0, "mv": 3.0} for a in accounts
    }
    return {"topic": "spl", "args": rows}


async def test_pnl_streamed_before_the_router_knows_its_accounts_goes_out_once_watched(
    sim: CpSimulator,
) -> None:
    rest = gateway(rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1"))
    got: list[BrokerPnl] = []

    async def on_pnl(pnl: BrokerPnl) -> None:
        got.append(pnl)

    rest.set_pnl_callback(on_pnl)
    await rest.feed(_spl(ACCOUNT, LIVE))  # the stream opened while the accounts were learned
    assert got == []
    await rest.watch_pnl({ACCOUNT, SECOND})
    assert [p.account for p in got] == [ACCOUNT] and got[0].daily_pnl == Decimal("1.5")
    await rest.feed(_spl(SECOND, LIVE))
    assert [p.account for p in got] == [ACCOUNT, SECOND]
    await rest.watch_pnl({ACCOUNT, SECOND})  # nothing new: nothing again
    assert len(got) == 2
    await rest.close()
