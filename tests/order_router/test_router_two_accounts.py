"""One login, two accounts on the socket path: both served, and the login's one order-id
sequence never reused across the gateway's daily restart, whichever account sent the order."""

from __future__ import annotations

import pytest

from sluice_bus import MemoryBroker
from sluice_order_router.ports import PnlStreamed
from sluice_proto.broker import BrokerPnl, BrokerTruth
from sluice_proto.codec import decode
from sluice_proto.orders import OrderFilled
from sluice_proto.session import ConnectionReport, RouterHeartbeat
from sluice_proto.topics import BROKER_TRUTH, SESSION_REPORTS
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually

SECOND = "DU7654321"


@pytest.fixture
def tws_config() -> TwsConfig:
    return TwsConfig(port=0, accounts=(ACCOUNT, SECOND))


def _router_order_ids(tws: TwsServer) -> list[int]:
    return [order_id for client_id, order_id, _ in tws.venue.store.placed if client_id == 11]


async def _filled(broker: MemoryBroker, coid: str, account: str) -> None:
    await send(broker, approved(coid, account=account))
    await eventually(lambda: OrderFilled in kinds(broker, coid), within=10, what=coid)


async def test_no_order_id_is_reused_across_the_restart_whichever_account_sent_it(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    router = await start_router()
    assert router.accounts.trading == {ACCOUNT, SECOND}
    for coid in ("second-1", "second-2"):
        await _filled(broker, coid, SECOND)
    await router.stop()
    await control.restart(window=0.2)  # a new day: ids from 1 again
    assert tws.next_order_id() < max(_router_order_ids(tws))

    await start_router()  # the default account's journal alone has no id: SECOND's count
    await _filled(broker, "first-1", ACCOUNT)
    await _filled(broker, "second-3", SECOND)
    ids = _router_order_ids(tws)
    assert len(ids) == len(set(ids)) == 4 and control.reused_order_ids() == []
    accounts = {o.spec.order_ref: o.spec.account for o in tws.venue.store}
    assert accounts["first-1"] == ACCOUNT and accounts["second-3"] == SECOND


async def test_broker_truth_and_session_reports_are_published_per_account(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router(truth_s=30.0, heartbeat_s=0.2)

    def accounts_of(
        topic: str, kind: type[BrokerTruth | ConnectionReport | RouterHeartbeat]
    ) -> set[str]:
        return {e.account for e in topic_events(broker, topic) if isinstance(e, kind)}

    both = {ACCOUNT, SECOND}
    await eventually(lambda: accounts_of(BROKER_TRUTH, BrokerTruth) == both, what="truths")
    await eventually(lambda: accounts_of(SESSION_REPORTS, ConnectionReport) == both)
    await eventually(lambda: accounts_of(SESSION_REPORTS, RouterHeartbeat) == both)
    assert _keys(broker, BrokerTruth) == both  # each account's truth under its own key


def _keys(broker: MemoryBroker, kind: type[BrokerTruth | BrokerPnl]) -> set[str]:
    """The keys of the broker-truth records holding a ``kind``."""
    return {
        (r.key or b"").decode()
        for r in broker.records(BROKER_TRUTH)
        if isinstance(decode(BROKER_TRUTH, r.value), kind)
    }


def _pnl_accounts(broker: MemoryBroker) -> set[str]:
    return {e.account for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerPnl)}


def _subscribed(tws: TwsServer) -> set[str]:
    """The accounts whose PnL the router's socket has asked for (``reqPnL``)."""
    session = tws.sessions.get(11)
    return set(session.pnl_requests.values()) if session is not None else set()


async def test_broker_pnl_of_each_account_after_connect_and_again_after_a_1101(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    router = await start_router()
    both = {ACCOUNT, SECOND}
    await eventually(lambda: _pnl_accounts(broker) == both, what="PnL of both accounts")
    assert _keys(broker, BrokerPnl) == {f"{ACCOUNT}/pnl", f"{SECOND}/pnl"}

    control.lose_connectivity()
    control.restore_connectivity(data_lost=True)  # IBKR forgot the reqPnL subscriptions
    await eventually(lambda: _subscribed(tws) == both, what="both subscribed again")
    await _filled(broker, "second-pnl", SECOND)
    unrealized = tws.venue.account_values(SECOND)["UnrealizedPnL"]
    assert unrealized != 0

    def second_moved() -> bool:
        pnls = [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerPnl)]
        return [p for p in pnls if p.account == SECOND][-1].unrealized_pnl == unrealized

    await eventually(second_moved, what="SECOND's PnL after its fill")

    assert isinstance(router.gateway, PnlStreamed)
    await router.gateway.watch_pnl({ACCOUNT})  # SECOND no longer traded here: cancelPnL
    await eventually(lambda: _subscribed(tws) == {ACCOUNT}, what="SECOND's PnL cancelled")
