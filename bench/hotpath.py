"""The CPU each service spends per order on the hot path, measured in one process.

Run: ``python -m bench hotpath``. Risk and the order router run on the in-memory bus (no
Kafka: what is left is their own work) against the TWS simulator, with the SDK
``TracerProvider`` the services install (``sluice_runtime.tracing.setup_tracing``, no
exporter) and logging at INFO, as a deployed service runs. Signals go one at a time,
``GAP_S`` apart, the way they arrive. Printed:

- publish → bytes at the simulator's venue through both services (p50 / p99 µs);
- the pieces, each timed alone per call (µs): the Kafka send path (``send_event`` with a
  producer that only queues), the dispatcher's per-record work, risk's ``decide`` and the
  engine inside it, the router's handling of an approved order up to the socket write.

The in-memory bus does not encode on publish the way Kafka does, so the Kafka send path is
timed on its own (``kafka_send``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

from aiokafka import AIOKafkaProducer

from sluice_bus import MemoryBroker, make_bus
from sluice_bus.api import ConsumerOptions, Message, Record
from sluice_bus.dispatch import Dispatcher
from sluice_bus.kafka_send import send_event
from sluice_order_router.adapters.socket.gateway import SocketGateway, SocketOptions
from sluice_order_router.adapters.socket.pacing import Pacer
from sluice_order_router.orders import OrderDesk
from sluice_order_router.publisher import Publisher
from sluice_order_router.service import RouterService
from sluice_proto import ApprovedOrder, Instrument, Quote, Signal
from sluice_proto.codec import encode
from sluice_proto.session import SessionState
from sluice_proto.topics import MD_QUOTES, ORDERS_APPROVED, SESSION_STATE, SIGNALS
from sluice_risk.bootstrap import build
from sluice_risk.config import RiskSettings
from sluice_risk.service import RiskService
from sluice_runtime.logs import configure_logging
from sluice_runtime.tracing import setup_tracing
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.server import TwsServer
from sluice_sim.venue.events import VenueEvent
from tests.support.polling import eventually

ACCOUNT = "DU1"
SYMBOLS = ("AAPL", "MSFT", "SPY")
LIMITS = {
    "max_orders_per_window": 1_000_000,
    "max_open_orders": 100_000,
    "max_position": 1_000_000,
    "max_gross_exposure": 10**12,
    "quote_max_age_s": 3600.0,
}
ORDERS = 120
GAP_S = 0.1
MICRO = 2000
WARMUP = 20
"""Calls per micro-benchmark."""


def signal(n: int) -> Signal:
    return Signal(
        signal_id=uuid.uuid4().hex[:12],
        strategy_id="bench",
        symbol=SYMBOLS[n % 3],
        side="BUY" if n // 3 % 2 else "SELL",
        quantity=Decimal(1),
        order_type="MKT",
    )


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


class _QueueOnly:
    """A stand-in for ``AIOKafkaProducer.send``: the record is accepted, nothing is sent."""

    async def send(self, *_: Any, **__: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


async def timed(label: str, call: Callable[[], Awaitable[Any]], rows: list[str]) -> None:
    """Mean µs of ``call`` over ``MICRO`` calls (after a warm-up)."""
    for _ in range(50):
        await call()
    started = time.perf_counter_ns()
    for _ in range(MICRO):
        await call()
    rows.append(f"  {label:<58} {(time.perf_counter_ns() - started) / MICRO / 1000:8.1f} µs")


def approved(n: int) -> ApprovedOrder:
    now = datetime.now(UTC)
    return ApprovedOrder(
        client_order_id=f"bench-{uuid.uuid4().hex[:12]}",
        signal_id=f"s{n}",
        strategy_id="bench",
        account=ACCOUNT,
        instrument=Instrument(symbol=SYMBOLS[n % 3]),
        side="BUY",
        quantity=Decimal(1),
        order_type="MKT",
        approved_at=now,
    )


async def pieces(rows: list[str]) -> None:
    """Each piece of the per-order work, timed alone."""
    producer: AIOKafkaProducer = _QueueOnly()  # type: ignore[assignment]
    order = approved(0)
    await timed(
        "kafka_send.send_event (span, headers, encode)",
        lambda: send_event(producer, "risk", ORDERS_APPROVED, order, key=ACCOUNT),
        rows,
    )
    await timed("  codec.encode alone", _sync(lambda: encode(order)), rows)
    record = Record(ORDERS_APPROVED, 0, 1, b"k", encode(order), (), 0)

    async def nothing(_: Message[Any]) -> None:
        return None

    async def finish(*_: Any) -> None:
        return None

    dispatcher = Dispatcher("x", "g", nothing, ConsumerOptions(max_attempts=1))
    await timed(
        "dispatch.Dispatcher.handle (extract, span, decode, retry), no-op handler",
        lambda: dispatcher.handle(record, finish),
        rows,
    )


def _sync(call: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def run() -> Any:
        return call()

    return run


STEPS = (
    ("publish", "risk.handle"),
    ("risk.handle", "risk.decide"),
    ("risk.decide", "risk.decided"),
    ("risk.decided", "router.handle"),
    ("router.handle", "router.approved"),
    ("router.approved", "router.write_ahead"),
    ("router.write_ahead", "router.write_ahead_done"),
    ("router.write_ahead_done", "router.pacer"),
    ("router.pacer", "venue"),
)
"""The steps of one order, between the marks ``Timeline`` takes."""


class Timeline:
    """The first time each mark is reached after the latest publish (perf_counter_ns)."""

    def __init__(self) -> None:
        self.orders: list[dict[str, int]] = []

    def publish(self) -> None:
        self.orders.append({"publish": time.perf_counter_ns()})

    def mark(self, label: str) -> None:
        if self.orders:
            self.orders[-1].setdefault(label, time.perf_counter_ns())

    def around(self, owner: Any, name: str, before: str, after: str | None = None) -> Any:
        """A patch of the async method ``owner.name`` that marks its start (and end)."""
        wrapped = getattr(owner, name)

        async def call(this: Any, *args: Any) -> Any:
            self.mark(before)
            try:
                return await wrapped(this, *args)
            finally:
                if after is not None:
                    self.mark(after)

        return mock.patch.object(owner, name, call)

    def handled(self, topics: dict[str, str]) -> Any:
        """A patch of ``Dispatcher.handle`` that marks when a record of ``topics`` starts."""
        wrapped = Dispatcher.handle

        async def handle(this: Dispatcher, record: Record, finish: Any) -> None:
            label = topics.get(record.topic)
            if label is not None:
                self.mark(label)
            await wrapped(this, record, finish)

        return mock.patch.object(Dispatcher, "handle", handle)

    def rows(self, skip: int) -> list[str]:
        steady = self.orders[skip:]
        rows = []
        for first, last in STEPS:
            spans = [(o[last] - o[first]) / 1000 for o in steady if first in o and last in o]
            rows.append(
                f"  {first + ' → ' + last:<50} p50 {percentile(spans, 50):7.0f} "
                f"p90 {percentile(spans, 90):7.0f} µs"
            )
        total = [(o["venue"] - o["publish"]) / 1000 for o in steady if "venue" in o]
        rows.append(
            f"  {'publish → venue (' + str(len(total)) + ' orders)':<50} "
            f"p50 {percentile(total, 50):7.0f} p90 {percentile(total, 90):7.0f} µs"
        )
        return rows


async def through_services(rows: list[str]) -> None:
    """Publish → venue through risk and the router, step by step."""
    timeline = Timeline()
    with contextlib.ExitStack() as patches:
        for patch in (
            timeline.handled({SIGNALS: "risk.handle", ORDERS_APPROVED: "router.handle"}),
            timeline.around(RiskService, "decide", "risk.decide", "risk.decided"),
            timeline.around(OrderDesk, "approved", "router.approved"),
            timeline.around(Publisher, "orders", "router.write_ahead", "router.write_ahead_done"),
            mock.patch.object(Pacer, "submit", _marking(Pacer.submit, timeline)),
        ):
            patches.enter_context(patch)
        await _run(timeline)
    rows.append("  step (in memory, one process)")
    rows.extend(timeline.rows(WARMUP))


def _marking(submit: Callable[..., None], timeline: Timeline) -> Callable[..., None]:
    def call(pacer: Pacer, send: Callable[[], None]) -> None:
        timeline.mark("router.pacer")
        submit(pacer, send)

    return call


async def _run(timeline: Timeline) -> None:
    tws = TwsServer(TwsConfig(port=0, accounts=(ACCOUNT,)))
    await tws.start()
    arrivals: dict[str, int] = {}

    def arrived(event: VenueEvent) -> None:
        arrivals.setdefault(event.order.spec.order_ref, time.perf_counter_ns())
        timeline.mark("venue")

    tws.venue.subscribe(arrived)
    broker = MemoryBroker()
    client = make_bus("bench", broker=broker)
    await client.start()
    now = datetime.now(UTC)
    for symbol in SYMBOLS:
        quote = Quote(
            instrument=Instrument(symbol=symbol), bid=Decimal(100), ask=Decimal(101), ts=now
        )
        await client.publish(MD_QUOTES, quote, key=quote.instrument.key)
    state = SessionState(account=ACCOUNT, state="UP", trading_allowed=True, reason="ok")
    await client.publish(SESSION_STATE, state, key=ACCOUNT)
    risk_bus = make_bus("risk", broker=broker)
    await risk_bus.start()
    risk = build(RiskSettings(default_account=ACCOUNT, limit_defaults=LIMITS), risk_bus).component
    await risk.start()
    router_bus = make_bus("order-router", broker=broker)
    await router_bus.start()
    gateway = SocketGateway(
        SocketOptions(host="127.0.0.1", port=tws.port, account=ACCOUNT, client_id=11)
    )
    router = RouterService(router_bus, gateway)
    await router.start()
    await eventually(lambda: router.readiness()[0])
    try:
        for n in range(ORDERS):
            await asyncio.sleep(GAP_S)
            sent = signal(n)
            timeline.publish()
            await client.publish(SIGNALS, sent, key=sent.strategy_id)
            while arrivals.get(sent.client_order_id) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.0002)  # the venue's listener sets it
    finally:
        await router.stop()
        await risk.stop()
        for bus in (router_bus, risk_bus, client):
            await bus.stop()
        await tws.stop()


def main() -> None:
    """Print the per-order figures."""
    # the services' JSON log lines at INFO, as deployed, written nowhere
    configure_logging("bench-hotpath", "INFO", stream=open(os.devnull, "w"), fmt="json")  # noqa: SIM115
    setup_tracing("bench-hotpath")
    rows: list[str] = ["hotpath: per order, one process (µs)"]
    asyncio.run(pieces(rows))
    asyncio.run(through_services(rows))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
