"""Restart: the journal's pending orders are adopted or sent once; a 10x burst is paced."""

from __future__ import annotations

from ib_async import IB, LimitOrder, Stock

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.adapters.socket.gateway import SocketGateway
from sluice_proto import ApprovedOrder
from sluice_proto.orders import OrderAccepted, OrderSubmitted, OrderSubmitting
from sluice_proto.topics import ORDERS_EVENTS
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter, options
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.orders import kinds, of, resting, send
from tests.support.polling import eventually


async def write_ahead(broker: MemoryBroker, order: ApprovedOrder) -> None:
    """What a router that crashed right after its write-ahead record left in the journal."""
    event = OrderSubmitting(
        client_order_id=order.client_order_id, account=ACCOUNT, side=order.side,
        quantity=order.quantity, order_type=order.order_type, order=order,
    )  # fmt: skip
    await MemoryBus(broker, "order-router").publish(ORDERS_EVENTS, event, key=ACCOUNT)


async def test_restart_adopts_what_ibkr_has_and_sends_the_rest_once(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await write_ahead(broker, resting("there-1"))
    await write_ahead(broker, resting("lost-1"))
    crashed = IB()  # the crashed router's connection had sent one of them
    await crashed.connectAsync("127.0.0.1", tws.port, clientId=11, timeout=5)
    contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
    sent = crashed.placeOrder(contract, LimitOrder("BUY", 10, 1.0, orderRef="there-1"))
    await eventually(lambda: sent.orderStatus.status == "Submitted")
    crashed.disconnect()

    await start_router()
    await eventually(lambda: OrderAccepted in kinds(broker, "there-1"))
    await eventually(lambda: OrderAccepted in kinds(broker, "lost-1"))
    adopted = [e for e in of(broker, "there-1") if isinstance(e, OrderSubmitted)]
    assert [e.adopted for e in adopted] == [True]
    resent = [e for e in of(broker, "lost-1") if isinstance(e, OrderSubmitting)]
    assert [e.attempt for e in resent] == [1, 2]

    await send(broker, resting("lost-1"))  # the approved command redelivered: dropped
    await send(broker, resting("marker"))
    await eventually(lambda: OrderAccepted in kinds(broker, "marker"))
    assert control.orders_with_ref("there-1") == 1
    assert control.orders_with_ref("lost-1") == 1


async def burst(tws: TwsServer, control: TwsControl, rate: float, messages: int) -> int:
    """Send ``messages`` requests at once through a gateway paced at ``rate``; violations."""
    gateway = SocketGateway(options(tws, client_id=31, pacing_msgs_per_s=rate))
    await gateway.connect()
    try:
        sent_before = gateway.pacer.sent
        for _ in range(messages):
            gateway.ib.client.reqCurrentTime()  # type: ignore[no-untyped-call]
        await eventually(
            lambda: gateway.pacer.sent - sent_before >= messages, within=3 * messages / rate
        )
        violations = control.counters()["pacing_violations"]
        assert isinstance(violations, dict)
        return int(violations.get(31, 0))
    finally:
        await gateway.close()


async def test_a_ten_x_burst_is_queued_never_a_pacing_violation(
    tws: TwsServer, control: TwsControl
) -> None:
    control.set_pacing(12)  # the gateway's limit; the router is configured below it
    assert await burst(tws, control, rate=10.0, messages=100) == 0


async def test_the_simulator_does_catch_an_unpaced_burst(
    tws: TwsServer, control: TwsControl
) -> None:
    control.set_pacing(12)
    assert await burst(tws, control, rate=1000.0, messages=100) > 0
