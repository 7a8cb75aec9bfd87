"""Bus backends: produce → consume latency (p50/p99) and end-to-end throughput.

Run: ``python -m bench bus``. The Kafka figures come from a real single-node broker started
for the run (``tests/support/kafka_broker.py``); Kafka consumers commit once per fetched
batch (at most ``ConsumerOptions.max_batch`` records), the in-memory bus after every record.

- latency: one signal at a time, from ``publish`` until the handler has it, measured twice:
  *gapped*, ``GAP_S`` between one arrival and the next publish (how signals arrive: the
  consumer is idle, its previous commit done), and *back to back*, the next publish right
  after the arrival (the hop then also waits for the consumer's commit of the record before:
  on Kafka that overstates a hop several times over);
- throughput: a burst published concurrently, until the handler has seen all of it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sluice_bus import Bus, HandlerResult, Message, make_bus
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from tests.support.kafka_broker import running_broker

SIZES = {"memory": (2_000, 10_000), "kafka": (200, 1_000)}  # (latency samples, burst)
GAP_S = 0.02
Figures = tuple[list[float], list[float], float]
"""Gapped latencies, back-to-back latencies (s), burst throughput (records/s)."""


class _Arrivals:
    """Counts this run's signals as the handler gets them; wakes whoever waits for a count."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()
        self.count = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if message.record.key == self._key:
            self.count += 1
            while self._waiters and self._waiters[0][0] <= self.count:
                self._waiters.pop(0)[1].set_result(None)
        return None

    async def reach(self, target: int) -> None:
        if self.count < target:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((target, future))
            self._waiters.sort(key=lambda waiter: waiter[0])
            await future


def _signal(key: str, number: int) -> Signal:
    return Signal(
        signal_id=f"b{number}",
        strategy_id=key,
        symbol="AAPL",
        side="BUY",
        quantity=Decimal(1),
        order_type="MKT",
    )


async def _one_by_one(
    bus: Bus, arrivals: _Arrivals, key: str, samples: int, gap_s: float
) -> list[float]:
    """Publish → handled, one signal at a time, ``gap_s`` after the previous arrival."""
    latencies = []
    for number in range(samples):
        if gap_s:
            await asyncio.sleep(gap_s)
        started = time.perf_counter()
        await bus.publish(SIGNALS, _signal(key, number), key=key)
        await arrivals.reach(arrivals.count + 1)
        latencies.append(time.perf_counter() - started)
    return latencies


async def _measure(bus: Bus, samples: int, burst: int) -> Figures:
    key = f"bench-{uuid.uuid4().hex[:8]}"
    arrivals = _Arrivals(key)
    await bus.consume([SIGNALS], group=key, handler=arrivals)
    await bus.publish(SIGNALS, _signal(key, -1), key=key)  # warm-up: group joined, paths hot
    await arrivals.reach(1)
    gapped = await _one_by_one(bus, arrivals, key, samples, GAP_S)
    back_to_back = await _one_by_one(bus, arrivals, key, samples, 0.0)
    target = arrivals.count + burst
    events = [_signal(key, samples + number) for number in range(burst)]
    started = time.perf_counter()
    await asyncio.gather(*(bus.publish(SIGNALS, event, key=key) for event in events))
    await arrivals.reach(target)
    return gapped, back_to_back, burst / (time.perf_counter() - started)


def _report(name: str, gapped: list[float], back_to_back: list[float], rate: float) -> None:
    cells = ""
    for latencies in (gapped, back_to_back):
        cuts = statistics.quantiles(latencies, n=100)
        cells += f"{cuts[49] * 1e3:10.3f}{cuts[98] * 1e3:10.3f}"
    print(f"  {name:<8}{cells}{len(gapped):9}{rate:14,.0f}")


async def _memory() -> Figures:
    bus = make_bus("bench")
    await bus.start()
    try:
        return await _measure(bus, *SIZES["memory"])
    finally:
        await bus.stop()


async def _kafka() -> Figures:
    async with running_broker() as broker:
        bus = make_bus("bench", broker.bootstrap)
        await bus.start()
        try:
            # A stuck run should fail loudly, not hang the whole bench.
            return await asyncio.wait_for(_measure(bus, *SIZES["kafka"]), timeout=120)
        finally:
            await bus.stop()


def main() -> None:
    """Print latency percentiles and throughput for each backend."""
    print("bus: one partition key, handler is a no-op, Kafka commits per batch")
    print(f"  latency (ms): gapped = {GAP_S * 1e3:.0f} ms between publishes, b2b = back to back")
    header = ["gap p50", "gap p99", "b2b p50", "b2b p99"]
    print(f"  {'backend':<8}" + "".join(f"{h:>10}" for h in header) + f"{'samples':>9}"
          f"{'burst msg/s':>14}")  # fmt: skip
    runs: dict[str, Callable[[], Any]] = {"memory": _memory, "kafka": _kafka}
    for name, run in runs.items():
        _report(name, *asyncio.run(run()))
