"""The router as its own OS process on the real Kafka broker, against the TWS simulator.

Includes the crash test: SIGKILL between the write-ahead ``submitting`` record and IBKR's
acknowledgement, restart, and exactly one broker order for that ``orderRef``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from sluice_bus.kafka import KafkaBus
from sluice_proto.orders import OrderAccepted, OrderFilled, OrderSubmitted, OrderSubmitting
from sluice_proto.session import ConnectionReport
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS, SESSION_REPORTS
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import ACCOUNT
from tests.order_router.test_router_orders import approved
from tests.order_router.test_router_reconcile import resting
from tests.support.collect import Collector
from tests.support.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

Launch = Callable[..., subprocess.Popen[bytes]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
async def kafka(kafka_bootstrap: str) -> AsyncIterator[tuple[KafkaBus, Collector]]:
    bus = KafkaBus(f"test-{uuid.uuid4().hex[:6]}", kafka_bootstrap)
    await bus.start()
    topics = [ORDERS_EVENTS, SESSION_REPORTS]
    collector = await Collector().start(bus, topics, f"t-{uuid.uuid4().hex}")
    yield bus, collector
    await bus.stop()


def of(collector: Collector, coid: str) -> list[object]:
    events = collector.events(ORDERS_EVENTS, key=ACCOUNT)
    return [e for e in events if getattr(e, "client_order_id", "") == coid]


def connections(collector: Collector) -> int:
    reports = collector.events(SESSION_REPORTS, key=ACCOUNT, kind=ConnectionReport)
    return sum(1 for r in reports if r.status == "connected")


def has(collector: Collector, coid: str, kind: type) -> bool:
    return any(isinstance(e, kind) for e in of(collector, coid))


async def test_approved_order_in_lifecycle_out_with_fills(
    launch: Launch, kafka: tuple[KafkaBus, Collector], control: TwsControl
) -> None:
    bus, collector = kafka
    launch()
    await eventually(lambda: connections(collector) == 1, within=60, what="router connected")
    coid = f"k-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, approved(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderFilled), within=60, what="filled")
    kinds = [type(e) for e in of(collector, coid)]
    assert kinds == [OrderSubmitting, OrderSubmitted, OrderAccepted, OrderFilled]
    filled = of(collector, coid)[-1]
    assert isinstance(filled, OrderFilled) and filled.fill.commission
    assert control.orders_with_ref(coid) == 1


async def test_sigkill_between_submitting_and_ack_leaves_exactly_one_order(
    launch: Launch, kafka: tuple[KafkaBus, Collector], control: TwsControl
) -> None:
    bus, collector = kafka
    # documented fault-injection knob: a crash window after the durable write-ahead record
    first = launch(SLUICE_FAULT_PAUSE_BEFORE_SEND_S="60")
    coid = f"kill-{uuid.uuid4().hex[:8]}"
    await bus.publish(ORDERS_APPROVED, resting(coid), key=ACCOUNT)
    await eventually(lambda: has(collector, coid, OrderSubmitting), within=60, what="submitting")
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    assert control.orders_with_ref(coid) == 0  # killed before IBKR heard of it

    launch()
    await eventually(lambda: has(collector, coid, OrderAccepted), within=60, what="accepted")
    assert control.orders_with_ref(coid) == 1
    submitting = [e for e in of(collector, coid) if isinstance(e, OrderSubmitting)]
    assert [e.attempt for e in submitting] == [1, 2]
