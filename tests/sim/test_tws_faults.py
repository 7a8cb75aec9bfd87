"""Errors and faults of the simulated gateway, seen by unmodified ib_async over real TCP."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from conftest import Connect
from ib_async import IB, MarketOrder, Order, Stock

from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.http import create_app
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import AAPL_CON_ID
from tests.support.polling import eventually

CONTRACT = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)


def error_codes(ib: IB) -> list[int]:
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
    return codes


async def test_farm_status_on_connect(tws: TwsServer) -> None:
    ib = IB()
    codes = error_codes(ib)
    await ib.connectAsync("127.0.0.1", tws.port, clientId=1, timeout=5)
    await eventually(lambda: {2104, 2106, 2158} <= set(codes))
    ib.disconnect()


async def test_client_id_in_use_gets_326_and_the_socket_closes(
    tws: TwsServer, connect: Connect
) -> None:
    await connect(client_id=5)
    second = IB()
    codes = error_codes(second)
    attempt = asyncio.create_task(second.connectAsync("127.0.0.1", tws.port, clientId=5))
    # ib_async itself would only time out: watch for the 326 and the closed socket instead
    await eventually(lambda: 326 in codes and not second.client.isConnected())
    attempt.cancel()
    await asyncio.gather(attempt, return_exceptions=True)
    assert tws.counters.refused_client_id == 1


async def test_duplicate_order_id_is_103(tws: TwsServer, connect: Connect) -> None:
    first = await connect(client_id=3)
    done = first.placeOrder(CONTRACT, MarketOrder("BUY", 1))
    await eventually(done.isDone)
    first.disconnect()
    second = await connect(client_id=3)
    reused = Order(orderId=done.order.orderId, action="BUY", totalQuantity=1, orderType="MKT")
    trade = second.placeOrder(CONTRACT, reused)
    await eventually(lambda: any(e.errorCode == 103 for e in trade.log))
    assert trade.orderStatus.status == "Cancelled"
    assert sum(1 for _ in tws.venue.store) == 1


async def test_read_only_rejects_orders_with_201(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    TwsControl(tws).set_read_only(True)
    trade = ib.placeOrder(CONTRACT, MarketOrder("BUY", 1, orderRef="ro"))
    await eventually(lambda: any(e.errorCode == 201 for e in trade.log))
    assert "Read-Only" in trade.log[-1].message
    assert TwsControl(tws).orders_with_ref("ro") == 0


async def test_pacing_violation_is_100(tws: TwsServer, connect: Connect) -> None:
    ib = await connect(client_id=9)
    codes = error_codes(ib)
    TwsControl(tws).set_pacing(5)
    for _ in range(12):
        ib.client.reqCurrentTime()  # ib_async throttles at 45/s, far above this gateway's 5/s
    await eventually(lambda: 100 in codes)
    assert tws.counters.pacing_violations[9] > 0


@pytest.fixture
def tws_config() -> TwsConfig:
    return replace(TwsConfig(), trusted_ips=frozenset({"127.0.0.1"}))


async def test_untrusted_source_address_is_closed_at_once(tws: TwsServer, connect: Connect) -> None:
    await connect()  # from 127.0.0.1: trusted
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", tws.port, local_addr=("127.0.0.2", 0)
    )
    assert await reader.read() == b""  # closed before any handshake
    writer.close()
    assert tws.counters.refused_untrusted == 1


async def test_connectivity_lost_and_restored(tws: TwsServer, connect: Connect) -> None:
    ib = await connect()
    codes = error_codes(ib)
    control = TwsControl(tws)
    control.lose_connectivity()
    await eventually(lambda: 1100 in codes)
    rejected = ib.placeOrder(CONTRACT, MarketOrder("BUY", 1))
    await eventually(lambda: any(e.errorCode == 201 for e in rejected.log))
    control.restore_connectivity(data_lost=True)
    await eventually(lambda: 1101 in codes and 2104 in codes)
    control.restore_connectivity(data_lost=False)
    await eventually(lambda: 1102 in codes)


async def test_a_client_connecting_during_an_outage_is_told_1100(
    tws: TwsServer, connect: Connect
) -> None:
    TwsControl(tws).lose_connectivity()
    ib = IB()
    errors: list[tuple[int, int, str]] = []
    ib.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code, text))
    await ib.connectAsync("127.0.0.1", tws.port, clientId=4, timeout=5)
    await eventually(lambda: errors)
    assert errors == [(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.")]
    ib.disconnect()


@pytest.mark.parametrize("tws_config", [TwsConfig(market_data_lines=1)])
async def test_a_stream_beyond_the_line_limit_is_refused_with_101(
    tws: TwsServer, connect: Connect
) -> None:
    first, second = await connect(client_id=1), await connect(client_id=2)
    streaming = first.reqMktData(CONTRACT)
    await eventually(lambda: streaming.bid > 0)  # NaN until the first tick
    errors: list[tuple[int, int, str]] = []
    second.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code, text))
    second.reqMktData(Stock("MSFT", "SMART", "USD", conId=272093))  # the user's lines are shared
    await eventually(lambda: errors)
    ((req_id, code, text),) = errors
    assert (code, text) == (101, "Max number of tickers has been reached")
    assert second.wrapper.reqId2Ticker[req_id].contract.symbol == "MSFT"
    first.cancelMktData(CONTRACT)  # frees the line
    again = second.reqMktData(Stock("MSFT", "SMART", "USD", conId=272093))
    await eventually(lambda: again.bid > 0)


async def test_daily_restart_drops_clients_and_refuses_for_a_window(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect()
    restart = asyncio.create_task(TwsControl(tws).restart(window=0.5))
    await eventually(lambda: not ib.isConnected())
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", tws.port)
    await restart
    again = await connect(client_id=2)
    assert again.isConnected() and tws.counters.restarts == 1


async def test_http_control_api(tws: TwsServer, connect: Connect) -> None:
    app = create_app(TwsControl(tws))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        assert (await http.post("/faults/read-only", json={"enabled": True})).status_code == 200
        assert tws.faults.read_only
        await connect(client_id=4)
        counters = (await http.get("/counters")).json()
        assert counters["connected_clients"] == [4]
        assert counters["messages_by_client"]["4"] > 0
        assert (await http.get("/orders/by-ref/none")).json() == {"count": 0}
        assert (await http.get("/orders/reused-ids")).json() == {"reused": []}


async def test_a_position_changed_behind_the_apis_back_reaches_a_client(
    tws: TwsServer, connect: Connect
) -> None:
    ib = await connect(client_id=5)
    account = tws.venue.default_account
    app = create_app(TwsControl(tws))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        body = {"account": account, "symbol": "AAPL", "quantity": "40"}
        assert (await http.post("/positions/adjust", json=body)).status_code == 200
    held = await ib.reqPositionsAsync()
    assert [(p.account, p.contract.conId, p.position) for p in held] == [
        (account, AAPL_CON_ID, 40.0)
    ]
    assert tws.venue.accounts[account].cash == tws.venue.config.accounts[account]  # no trade
