"""Connection handling against the simulator: held orders, 1100/1101, client ids, egress."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB

from sluice_bus import MemoryBroker
from sluice_order_router.adapters.socket.gateway import SocketGateway
from sluice_order_router.adapters.socket.handshake import ClosedAtOnceError, Endpoint, open_api
from sluice_order_router.adapters.socket.pacing import Pacer
from sluice_order_router.adapters.socket.transport import SluiceIB
from sluice_proto import Instrument
from sluice_proto.market_data import MdStart, MdStop, MdTick
from sluice_proto.orders import OrderBrokerRejected, OrderFilled, OrderHeld, OrderSubmitting
from sluice_proto.session import ConnectionReport
from sluice_proto.topics import MD_REQUESTS, MD_TICKS, SESSION_REPORTS
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter, options
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually


def statuses(broker: MemoryBroker) -> list[str]:
    reports = topic_events(broker, SESSION_REPORTS)
    return [r.status for r in reports if isinstance(r, ConnectionReport)]


async def test_orders_are_held_while_disconnected_and_sent_after_reconnect(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    router = await start_router()
    restart = asyncio.create_task(control.restart(window=0.5))
    await eventually(lambda: not router.readiness()[0])
    await send(broker, approved("held-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "held-1"))
    held = [r for r in topic_events(broker, SESSION_REPORTS) if r.status == "disconnected"]
    assert held
    await restart
    await eventually(lambda: OrderFilled in kinds(broker, "held-1"))
    assert kinds(broker, "held-1")[:2] == [OrderHeld, OrderSubmitting]
    assert control.orders_with_ref("held-1") == 1
    assert statuses(broker)[-1] == "connected"


async def test_1100_holds_orders_and_1101_resubscribes_and_reconciles(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    aapl = Instrument(symbol="AAPL")
    await send_md(broker, MdStart(instrument=aapl))
    control.step()
    await eventually(lambda: ticks(broker))
    control.lose_connectivity()
    await eventually(lambda: "lost" in statuses(broker))
    await send(broker, approved("lost-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "lost-1"))
    control.restore_connectivity(data_lost=True)
    await eventually(lambda: OrderFilled in kinds(broker, "lost-1"))
    before = len(ticks(broker))
    control.step()
    await eventually(lambda: len(ticks(broker)) > before)  # the stream was subscribed again
    assert "restored_data_lost" in statuses(broker)


async def test_a_router_started_in_an_1100_outage_holds_orders_until_restored(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    control.lose_connectivity()  # the gateway says 1100 to the router while its API starts
    router = await start_router(wait_connected=False)
    await eventually(lambda: statuses(broker) == ["lost"])
    await send(broker, approved("outage-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "outage-1"))
    assert not router.readiness()[0]
    lost = topic_events(broker, SESSION_REPORTS)[0]
    assert isinstance(lost, ConnectionReport) and (lost.code, lost.client_id) == (1100, 11)
    control.restore_connectivity(data_lost=False)
    await eventually(lambda: OrderFilled in kinds(broker, "outage-1"))
    assert statuses(broker) == ["lost", "restored_data_kept"]  # never "connected" in between
    assert OrderBrokerRejected not in kinds(broker, "outage-1")
    assert control.orders_with_ref("outage-1") == 1


async def test_a_reconnect_into_an_outage_stays_lost(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    control.lose_connectivity()
    await control.restart(window=0.2)  # every client dropped; the outage outlives the restart
    await eventually(lambda: "disconnected" in statuses(broker) and statuses(broker)[-1] == "lost")
    await send(broker, approved("reconnected-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "reconnected-1"))
    control.restore_connectivity(data_lost=True)
    await eventually(lambda: OrderFilled in kinds(broker, "reconnected-1"))
    assert control.orders_with_ref("reconnected-1") == 1
    seen = statuses(broker)  # connected, lost, disconnected, refused while it restarts, lost, ...
    after_restart = seen[seen.index("disconnected") :]
    assert "connected" not in after_restart and after_restart[-1] == "restored_data_lost"


async def test_a_stream_asked_for_during_an_outage_starts_on_1102(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    control.lose_connectivity()
    await start_router(wait_connected=False)
    await eventually(lambda: statuses(broker) == ["lost"])
    await send_md(broker, MdStart(instrument=Instrument(symbol="AAPL")))
    control.restore_connectivity(data_lost=False)  # "data kept": nothing is re-subscribed
    await eventually(lambda: "restored_data_kept" in statuses(broker))
    control.step()
    await eventually(lambda: ticks(broker))


async def test_a_refused_stream_is_relayed_with_the_contracts_reason(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router()
    await send_md(broker, MdStart(instrument=Instrument(symbol="NOSUCH")))
    await eventually(lambda: refusals(broker))
    (refusal,) = refusals(broker)
    assert (refusal.reason, refusal.error_code) == ("UNKNOWN_INSTRUMENT", 200)
    assert refusal.error_text is not None and refusal.error_text.startswith("IBKR 200: ")


@pytest.mark.parametrize(
    "tws_config", [TwsConfig(port=0, accounts=(ACCOUNT,), market_data_lines=1)]
)
async def test_a_stream_refused_later_on_the_socket_is_relayed_with_its_reason(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    aapl, msft = Instrument(symbol="AAPL"), Instrument(symbol="MSFT")
    await send_md(broker, MdStart(instrument=aapl))
    await eventually(lambda: ticks(broker))  # AAPL holds the one line
    await send_md(broker, MdStart(instrument=msft))  # IBKR answers 101, after reqMktData
    await eventually(lambda: refusals(broker))
    (refusal,) = refusals(broker)
    assert (refusal.instrument, refusal.reason, refusal.error_code) == (msft, "LINE_LIMIT", 101)
    assert refusal.error_text == "IBKR 101: Max number of tickers has been reached"
    await send_md(broker, MdStop(instrument=aapl))  # AAPL's line is free again
    await send_md(broker, MdStart(instrument=msft))
    control.step()
    await eventually(lambda: any(t.instrument == msft for t in ticks(broker)))
    assert len(refusals(broker)) == 1


async def test_client_id_in_use_moves_to_the_next_pool_id_without_waiting(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker
) -> None:
    squatter = IB()
    await squatter.connectAsync("127.0.0.1", tws.port, clientId=11, timeout=5)
    try:
        # a 60 s connect timeout: only the fast 326 path can connect within the poll window
        await start_router(client_id_pool=(11, 12), connect_timeout_s=60.0, wait_connected=False)
        await eventually(lambda: "connected" in statuses(broker), within=5.0)
    finally:
        squatter.disconnect()
    reports = [r for r in topic_events(broker, SESSION_REPORTS) if isinstance(r, ConnectionReport)]
    assert [(r.status, r.client_id) for r in reports][:2] == [
        ("client_id_in_use", 11),
        ("connected", 12),
    ]
    assert reports[0].code == 326


async def test_bind_address_is_the_only_door(tws: TwsServer, control: TwsControl) -> None:
    control.set_trusted_ips(["127.0.0.2"])
    bound = SocketGateway(options(tws, bind_address="127.0.0.2"))
    try:
        await asyncio.wait_for(bound.connect(), 5)
        assert bound.connected
    finally:
        await bound.close()
    unbound = SluiceIB(Pacer(45.0))
    with pytest.raises(ClosedAtOnceError):
        await open_api(unbound, Endpoint("127.0.0.1", tws.port, timeout_s=5), 21)
    assert control.counters()["refused_untrusted"] == 1


async def send_md(broker: MemoryBroker, request: MdStart) -> None:
    from sluice_bus import MemoryBus  # noqa: PLC0415

    await MemoryBus(broker, "market-data").publish(MD_REQUESTS, request, key=request.instrument.key)


def ticks(broker: MemoryBroker) -> list[MdTick]:
    return [
        t for t in topic_events(broker, MD_TICKS) if isinstance(t, MdTick) and t.bid is not None
    ]


def refusals(broker: MemoryBroker) -> list[MdTick]:
    return [t for t in topic_events(broker, MD_TICKS) if isinstance(t, MdTick) and t.error_text]
