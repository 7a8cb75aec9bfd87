"""The router as its own OS process on the real Kafka broker, against the TWS simulator.

Includes the crash tests: SIGKILL between the write-ahead ``submitting`` record and IBKR's
acknowledgement, restart, and exactly one broker order for that ``orderRef``. The simulator
opens the crash window, as a real venue would: it withholds the acknowledgement of an order it
accepted (found → adopt), or loses the placeOrder on the way (absent → send once).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from sluice_bus import Bus, make_bus
from sluice_proto import ApprovedOrder, BrokerPnl, utc_now
from sluice_proto.orders import (
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderSubmitting,
)
from sluice_proto.session import ConnectionReport
from sluice_proto.topics import BROKER_TRUTH, ORDERS_APPROVED, ORDERS_EVENTS, SESSION_REPORTS
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.collect import Collector
from tests.support.derivatives import AAPL_CALL_DEC
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.kafka_broker import running_broker
from tests.support.net import free_port
from tests.support.orders import amend, approved, at_venue, resting
from tests.support.polling import eventually
from tests.support.tws_process import TwsProcess

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

Launch = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def launch(kafka_bootstrap: str, tws: TwsServer) -> Iterator[Launch]:
    """Start ``python -m sluice_order_router`` processes; all are killed afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "SLUICE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SLUICE_HTTP_PORT": str(free_port()),
            "SLUICE_HTTP_HOST": "127.0.0.1",
            "TRADING_MODE": "paper",
            "IBKR_ACCOUNT": ACCOUNT,
            "IBKR_PORT": str(tws.port),
            "IBKR_CLIENT_ID": "41",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "sluice_order_router"], env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[tuple[Bus, Collector]]:
    bus = make_bus(f"test-{uuid.uuid4().hex[:6]}", kafka_bootstrap)
    await bus.start()
    topics = [ORDERS_EVENTS, SESSION_REPORTS, BROKER_TRUTH]
    collector = await Collector().start(bus, topics, f"t-{uuid.uuid4().hex}")
    yield bus, collector
    await bus.stop()


def of(collector: Collector, coid: str) -> list[object]:
    events = collector.events(ORDERS_EVENTS, key=ACCOUNT)
    return [e for e in events if getattr(e, "client_order_id", "") == coid]


def connections(collector: Collector, since: datetime) -> int:
    """Connections reported since ``since``: earlier tests' routers reported theirs on the
    session's broker under the same account, and the collector reads from the beginning."""
    reports = collector.events(SESSION_REPORTS, key=ACCOUNT, kind=ConnectionReport)
    return sum(1 for r in reports if r.status == "connected" and r.ts >= since)


async def launch_connected(launch: Launch, collector: Collector) -> None:
    """Launch a router and wait until it reports its connection."""
    since = utc_now()
    launch()
    await eventually(lambda: connections(collector, since) == 1, within=60, what="connected")


def has(collector: Collector, coid: str, kind: type) -> bool:
    return any(isinstance(e, kind) for e in of(collector, coid))


async def test_approved_order_in_lifecycle_out_with_fills(
    launch: Launch, kafka: tuple[Bus, Collector], control: TwsControl
) -> None:
    bus, collector = kafka
    await launch_connected(launch, collector)
    coid = f"k-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, approved(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderFilled), within=60, what="filled")
    kinds = [type(e) for e in of(collector, coid)]
    assert kinds == [OrderSubmitting, OrderSubmitted, OrderAccepted, OrderFilled]
    filled = of(collector, coid)[-1]
    assert isinstance(filled, OrderFilled) and filled.fill.commission
    assert control.orders_with_ref(coid) == 1


async def test_ibkrs_pnl_reaches_the_broker_truth_topic(
    launch: Launch, kafka: tuple[Bus, Collector]
) -> None:
    bus, collector = kafka
    since = utc_now()  # earlier tests' routers published theirs on the same topic
    launch()

    def pnls() -> list[BrokerPnl]:
        found = collector.events(BROKER_TRUTH, key=f"{ACCOUNT}/pnl", kind=BrokerPnl)
        return [p for p in found if p.ts >= since]

    await eventually(pnls, within=60, what="IBKR's PnL on sluice.broker.truth.v1")
    before = pnls()[-1]
    assert (before.account, before.daily_pnl, before.unrealized_pnl) == (ACCOUNT, 0, 0)
    coid = f"k-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, approved(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderFilled), within=60, what="filled")
    await eventually(
        lambda: pnls()[-1].unrealized_pnl != before.unrealized_pnl,
        within=30, what="the PnL after the fill",
    )  # fmt: skip


def submitted(collector: Collector, coid: str) -> list[OrderSubmitted]:
    return [e for e in of(collector, coid) if isinstance(e, OrderSubmitted)]


def attempts(collector: Collector, coid: str) -> list[int]:
    return [e.attempt for e in of(collector, coid) if isinstance(e, OrderSubmitting)]


async def crash_in_flight(
    launch: Launch, bus: Bus, collector: Collector, order: ApprovedOrder,
    sent: Callable[[], bool],
) -> None:  # fmt: skip
    """Start a router, let it write ahead and send ``order``, then SIGKILL it once ``sent()``.

    The venue has opened the window (no acknowledgement will come); the long ack timeout keeps
    the router from giving up on its own, so it dies with the order in doubt.
    """
    router = launch(IBKR_ACK_TIMEOUT_S="600")
    coid = order.client_order_id
    await bus.publish(ORDERS_APPROVED, order, key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderSubmitting), within=60, what="submitting")
    await eventually(sent, within=30, what="placeOrder at the simulator")
    router.send_signal(signal.SIGKILL)
    assert router.wait(10) == -signal.SIGKILL
    assert not has(collector, coid, OrderSubmitted)  # killed before any acknowledgement


async def test_sigkill_after_ibkr_accepted_unacked_order_adopts_it(
    launch: Launch, kafka: tuple[Bus, Collector], control: TwsControl
) -> None:
    """Found → adopt: IBKR has the order (and filled it), the router never heard back."""
    bus, collector = kafka
    coid = f"adopt-{uuid.uuid4().hex[:8]}"
    control.hold_acks(True)
    await crash_in_flight(
        launch, bus, collector, approved(coid), lambda: control.orders_with_ref(coid) == 1
    )
    control.hold_acks(False)

    launch()
    await eventually(lambda: has(collector, coid, OrderFilled), within=60, what="filled")
    assert [e.adopted for e in submitted(collector, coid)] == [True]
    assert attempts(collector, coid) == [1]  # adopted, never sent again
    assert control.orders_with_ref(coid) == 1


async def test_sigkill_while_order_lost_on_the_way_sends_it_once(
    launch: Launch, kafka: tuple[Bus, Collector], control: TwsControl
) -> None:
    """Absent → send once: the placeOrder never reached IBKR, the router waited for its ack."""
    bus, collector = kafka
    coid = f"lost-{uuid.uuid4().hex[:8]}"
    control.drop_orders(1)
    await crash_in_flight(
        launch, bus, collector, resting(coid), lambda: control.counters()["dropped_orders"] == 1
    )
    assert control.orders_with_ref(coid) == 0

    launch()
    await eventually(lambda: has(collector, coid, OrderAccepted), within=60, what="accepted")
    assert [e.adopted for e in submitted(collector, coid)] == [False]
    assert attempts(collector, coid) == [1, 2]
    assert control.orders_with_ref(coid) == 1


async def test_an_ambiguous_option_is_rejected_with_its_candidates_on_kafka(
    launch: Launch, kafka: tuple[Bus, Collector], control: TwsControl
) -> None:
    bus, collector = kafka
    await launch_connected(launch, collector)
    coid = f"amb-{uuid.uuid4().hex[:8]}"
    order = approved(coid, instrument=AAPL_CALL_DEC, quantity=Decimal(1))
    await bus.publish(ORDERS_APPROVED, order, key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderRejected), within=60, what="rejected")
    [rejected] = of(collector, coid)
    assert isinstance(rejected, OrderRejected)
    assert (rejected.reason_code, rejected.rejected_by) == ("AMBIGUOUS_INSTRUMENT", "router")
    assert [c.con_id for c in rejected.candidates] == [700000003, 700000007]
    assert all(c.local_symbol and c.multiplier == 100 for c in rejected.candidates)
    assert control.orders_with_ref(coid) == 0


async def test_an_amend_moves_a_resting_limit_under_its_order_id_and_a_late_one_is_refused(
    launch: Launch, kafka: tuple[Bus, Collector], tws: TwsServer, control: TwsControl
) -> None:
    """Must show: the price moves at the simulator under the same IBKR order id, exactly one
    broker order exists; an amend racing a fill is IBKR's to refuse (104), and is reported."""
    bus, collector = kafka
    await launch_connected(launch, collector)
    coid = f"amend-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, resting(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderAccepted), within=60, what="working")
    [ack] = submitted(collector, coid)

    await bus.publish(ORDERS_APPROVED, amend(coid, 1, limit_price=Decimal("1.50")), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderAmended), within=60, what="amended")
    [held] = at_venue(tws.venue, coid)
    assert (held.spec.order_id, held.spec.limit_price) == (ack.broker_order_id, Decimal("1.50"))

    control.hold_acks(True)  # the fill happens at IBKR before the router hears of it
    control.set_mid(AAPL_CON_ID, Decimal("0.90"))
    await bus.publish(ORDERS_APPROVED, amend(coid, 2, limit_price=Decimal("0.80")), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderAmendRejected), within=60, what="refused")
    control.hold_acks(False)
    await eventually(lambda: has(collector, coid, OrderFilled), within=60, what="filled")
    [refused] = [e for e in of(collector, coid) if isinstance(e, OrderAmendRejected)]
    assert (refused.revision, refused.rejected_by, refused.code) == (2, "broker", 104)
    assert len(at_venue(tws.venue, coid)) == 1 and control.orders_with_ref(coid) == 1


async def test_sigkill_after_ibkr_took_an_unanswered_amend_settles_it_without_resending(
    launch: Launch, kafka: tuple[Bus, Collector], tws: TwsServer, control: TwsControl
) -> None:
    """The amend is written ahead, IBKR takes it, its answer never comes (SIGKILL): the
    restarted router finds the new terms at IBKR and reports the amend, sending nothing."""
    bus, collector = kafka
    router = launch(IBKR_ACK_TIMEOUT_S="600")
    coid = f"amendk-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, resting(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderAccepted), within=60, what="working")
    control.hold_acks(True)
    await bus.publish(ORDERS_APPROVED, amend(coid, 1, limit_price=Decimal("1.50")), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderAmendSubmitting), within=60, what="ahead")
    await eventually(lambda: at_venue(tws.venue, coid)[0].modifications == 1, what="IBKR took it")
    router.send_signal(signal.SIGKILL)
    assert router.wait(10) == -signal.SIGKILL
    control.hold_acks(False)

    launch()
    await eventually(lambda: has(collector, coid, OrderAmended), within=60, what="settled")
    [held] = at_venue(tws.venue, coid)
    assert (held.spec.limit_price, held.modifications) == (Decimal("1.50"), 1)
    assert control.orders_with_ref(coid) == 1


async def test_a_router_started_with_the_broker_down_becomes_ready_once_it_is_back(
    launch: Launch, control: TwsControl
) -> None:
    """Live but not ready while no broker answers, then ready and trading, never exiting."""
    kafka_port, http_port = free_port(), free_port()
    router = launch(
        SLUICE_KAFKA_BOOTSTRAP=f"127.0.0.1:{kafka_port}", SLUICE_HTTP_PORT=str(http_port)
    )
    url = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:

        async def readyz() -> tuple[int, str]:
            try:
                response = await http.get("/readyz")
            except httpx.TransportError as exc:
                return 0, type(exc).__name__
            return response.status_code, response.json()["reason"]

        async def waiting() -> bool:
            status, reason = await readyz()
            return status == 503 and reason.startswith("starting, waiting for the bus: ")

        await eventually(waiting, within=60, what="live, waiting for the bus")
        assert (await http.get("/healthz")).status_code == 200
        async with running_broker(port=kafka_port) as broker:

            async def ready() -> bool:
                return (await readyz())[0] == 200

            await eventually(ready, within=120, what="ready once the broker is up")
            assert router.poll() is None  # it waited; it never exited
            bus = make_bus(f"test-{uuid.uuid4().hex[:6]}", broker.bootstrap)
            await bus.start()
            try:
                collector = await Collector().start(bus, [ORDERS_EVENTS], f"t-{uuid.uuid4().hex}")
                coid = f"late-bus-{uuid.uuid4().hex[:8]}"
                await bus.publish(ORDERS_APPROVED, approved(coid), key=ACCOUNT)
                await eventually(lambda: has(collector, coid, OrderFilled), within=60)
            finally:
                await bus.stop()
            assert control.orders_with_ref(coid) == 1
            router.terminate()
            assert router.wait(30) == 0


async def test_sigkill_mid_burst_leaves_one_broker_order_per_order(
    launch: Launch, kafka: tuple[Bus, Collector], control: TwsControl
) -> None:
    """Killed while a burst is pipelined (write-aheads durable, places in the pacer's queue or
    awaiting IBKR): the restart adopts what reached IBKR and sends the rest once."""
    bus, collector = kafka
    since = utc_now()
    router = launch(IBKR_PACING_MSGS_PER_S="20")
    await eventually(lambda: connections(collector, since) == 1, within=60, what="connected")
    run = uuid.uuid4().hex[:6]
    coids = [f"mid-{run}-{n}" for n in range(60)]
    await asyncio.gather(*(bus.publish(ORDERS_APPROVED, resting(c), key=ACCOUNT) for c in coids))

    def at_ibkr() -> int:
        return sum(control.orders_with_ref(c) for c in coids)

    await eventually(lambda: at_ibkr() >= 10, within=60, what="the burst under way")
    router.send_signal(signal.SIGKILL)
    assert router.wait(10) == -signal.SIGKILL
    arrived = at_ibkr()
    assert arrived < len(coids)
    written = lambda: sum(has(collector, c, OrderSubmitting) for c in coids)  # noqa: E731
    await eventually(lambda: written() > arrived, within=30, what="write-aheads ahead of IBKR")

    launch(IBKR_PACING_MSGS_PER_S="20")
    await eventually(lambda: at_ibkr() == len(coids), within=90, what="every order at IBKR")
    await eventually(
        lambda: all(has(collector, c, OrderAccepted) for c in coids), within=60, what="accepted"
    )
    assert [c for c in coids if control.orders_with_ref(c) != 1] == []
    assert control.reused_order_ids() == []


async def test_a_burst_through_the_router_stays_within_ibkrs_pacing(
    launch: Launch, kafka: tuple[Bus, Collector]
) -> None:
    """120 orders at once through the router process at 45 msg/s: the simulator, in a process
    of its own so that it counts by arrival as IBKR does, sees no pacing violation."""
    bus, collector = kafka
    tws = TwsProcess(ACCOUNT).start()
    try:
        since = utc_now()
        launch(IBKR_PORT=str(tws.port), IBKR_PACING_MSGS_PER_S="45")
        await eventually(lambda: connections(collector, since) == 1, within=60, what="connected")
        run = uuid.uuid4().hex[:6]
        coids = [f"pace-{run}-{n}" for n in range(120)]
        await asyncio.gather(
            *(bus.publish(ORDERS_APPROVED, resting(c), key=ACCOUNT) for c in coids)
        )
        await eventually(
            lambda: set(coids) <= tws.arrivals().keys(), within=60, interval=0.5,
            what="every order at the simulator",
        )  # fmt: skip
        assert tws.pacing_violations() == 0
        assert [c for c in coids if tws.orders_with_ref(c) != 1] == []
    finally:
        tws.stop()
