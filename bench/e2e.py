"""End-to-end latency by hop, the floors under it, and the router's pacing under a burst.

Run: ``python -m bench e2e``. The four services run as their own processes on a real
single-node broker (``tests/support/kafka_broker.py``), started exactly as the e2e tests start
them (``tests/e2e/stack.py``). The TWS simulator runs in a process of its own
(``tests/support/tws_process.py``): IBKR counts pacing by arrival, and a simulator sharing this
process's event loop (publishing 450 signals, recording every event) read the socket late and
saw sends bunched that the router had spaced. It stamps each order's first arrival at the venue
with ``time.perf_counter`` (CLOCK_MONOTONIC on Linux, one clock for every process of the
machine) and ``time.time``; this process reads them over HTTP, so the publish time and the
arrival at the gateway still come from one clock.

- **steady**: ``STEADY_RATE`` signals/s for ``STEADY_S`` (one-share market orders alternating
  sides over three symbols). Each order's time is split into hops by the Kafka record
  timestamps the producing service stamped (``CreateTime``, wall clock, 1 ms resolution):
  publish → risk's decision record (``ApprovedOrder``) → the router's write-ahead record
  (``OrderSubmitting``) → bytes at the gateway (the venue's listener, wall clock). The decision
  record is stamped when risk queues it: with its outbox (the default) after the batch's outbox
  record is acknowledged, so that round trip is in the first hop; with
  ``SLUICE_RISK_COMMIT=transaction`` before its transaction commits, so the commit is in the
  second hop.
- **burst**: ten seconds of the router's pacing rate (``BURST`` signals) published at once;
  ``pacing_pct`` is the rate at which they reached the gateway (first to last) against the
  configured 45 msg/s; the simulator counts pacing violations (it enforces 50 msg/s).
- **floors**, same broker and simulator: a bare aiokafka produce→consume hop with the project's
  settings and with tuned ones (``bench/floors.py``), and a direct ib_async ``placeOrder``; run
  last, since the direct orders move the account's position behind risk's back (broker truth
  would halt new orders).

``SLUICE_RISK_COMMIT`` in the bench's environment (``outbox``, the default, or ``transaction``)
is passed to the stack's risk, to measure both side by side.

The last line is machine-readable (``e2e: gw_p50_ms=... router_ready_s=...``);
``router_ready_s`` is one kill -9 of this stack's router (``bench startup`` splits the phases).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.floors import direct_ib, kafka_hop
from bench.startup import ready_after
from sluice_proto import ApprovedOrder, OrderSubmitting
from sluice_proto.topics import ORDERS_EVENTS, SIGNALS
from tests.e2e.stack import ServiceStack, StackOptions
from tests.support.kafka_broker import running_broker
from tests.support.tws_process import TwsProcess

STEADY_RATE, STEADY_S = 2.0, 55.0
PACING_RATE = 45.0
"""The router's configured socket pacing (``SocketOptions.pacing_msgs_per_s``)."""
BURST = int(PACING_RATE * 10)
WARMUP = 12
QUEUE_SAMPLE_S = 0.1
ROUTER_CLIENT_ID = "1"
ROUTER_TRUTH_S = "30"
"""``SLUICE_ROUTER_BROKER_TRUTH_S`` of the bench's router: its default."""
FLOOR_SAMPLES = 200
DIRECT_SAMPLES = 100
TUNED_PRODUCER = {"retry_backoff_ms": 10}
TUNED_CONSUMER = {"fetch_max_wait_ms": 100}
TUNED = TUNED_PRODUCER | TUNED_CONSUMER
LIMITS = {
    "max_orders_per_window": 1_000_000,
    "max_open_orders": 100_000,
    "max_position": 1_000_000,
    "max_gross_exposure": 10**12,
}
SYMBOLS = ("AAPL", "MSFT", "SPY")
RISK_COMMIT = os.environ.get("SLUICE_RISK_COMMIT", "outbox")


class SimProcessBroker:
    """The stack's IBKR side: the TWS simulator in a process of its own (``TwsProcess``)."""

    api = "socket"

    def __init__(self, options: StackOptions) -> None:
        self.sim = TwsProcess(options.account, seed=11, quote_interval=options.quote_interval_s)

    async def start(self) -> None:
        await asyncio.to_thread(self.sim.start)

    async def stop(self) -> None:
        await asyncio.to_thread(self.sim.stop)

    def env(self, service: str) -> dict[str, str]:
        if service != "order-router":
            return {}
        return {
            "IBKR_HOST": "127.0.0.1",
            "IBKR_PORT": str(self.sim.port),
            "IBKR_CLIENT_ID": ROUTER_CLIENT_ID,
            # the production cadence: the e2e tests' 0.5 s (positions and open orders asked
            # twice a second) would take ≈ 4 of the pacer's 45 messages/s from the orders
            "SLUICE_ROUTER_BROKER_TRUTH_S": ROUTER_TRUTH_S,
        }

    def orders_with_ref(self, order_ref: str) -> int:
        return self.sim.orders_with_ref(order_ref)


Stack = ServiceStack[SimProcessBroker]


@dataclass
class Arrivals:
    """When each order ref first reached the venue (``time.perf_counter`` and ``time.time``
    of the simulator's process), as last read from it."""

    sim: TwsProcess
    perf: dict[str, float] = field(default_factory=dict)
    wall: dict[str, float] = field(default_factory=dict)

    async def refresh(self) -> None:
        first = await asyncio.to_thread(self.sim.arrivals)
        self.perf = {ref: at[0] for ref, at in first.items()}
        self.wall = {ref: at[1] for ref, at in first.items()}

    async def of(self, ref: str) -> float | None:
        """When ``ref`` reached the venue (perf_counter), asked of the simulator now."""
        at = await asyncio.to_thread(self.sim.get, f"/arrivals/{ref}")
        return None if at is None else float(at[0])


@dataclass(frozen=True, slots=True)
class Sent:
    client_order_id: str
    perf: float
    wall: float


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 (NaN for fewer than two samples)."""
    if len(samples) < 2:
        return float("nan"), float("nan")
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


async def offer(stack: Stack, rate: float, seconds: float) -> list[Sent]:
    """Publish ``rate`` market orders per second for ``seconds`` on a fixed schedule."""
    sent, start, count = [], time.perf_counter(), int(rate * seconds)
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        perf, wall = time.perf_counter(), time.time()
        signal = await stack.signal(SYMBOLS[n % 3], "BUY" if n // 3 % 2 else "SELL", 1)
        sent.append(Sent(signal.client_order_id, perf, wall))
    return sent


async def burst(stack: Stack, count: int) -> list[Sent]:
    """Publish ``count`` signals at once (concurrently)."""
    perf, wall = time.perf_counter(), time.time()
    signals = await asyncio.gather(
        *(stack.signal(SYMBOLS[n % 3], "BUY" if n % 2 else "SELL", 1) for n in range(count))
    )
    return [Sent(s.client_order_id, perf, wall) for s in signals]


def stamped(stack: Stack, kind: type[Any]) -> dict[str, float]:
    """Per order, the wall-clock timestamp (s) of its first ``kind`` record on Kafka."""
    at: dict[str, float] = {}
    for message in stack.recorder.messages:
        if isinstance(message.event, kind):
            at.setdefault(message.event.client_order_id, message.record.timestamp_ms / 1000)
    return at


async def decided(stack: Stack) -> float:
    """Signals and order events risk has handled so far (quotes and broker-truth snapshots keep
    flowing, so not those)."""
    text = (await stack.http.get(stack.url("risk", "/metrics"))).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sluice_events_handled_total")
        and any(f'topic="{topic}"' in line for topic in (SIGNALS, ORDERS_EVENTS))
    )


async def settle(stack: Stack) -> None:
    """Wait until risk has worked off its backlog (no record handled for half a second), so a
    phase does not pay for the order events of the one before."""
    before = -1.0
    while (now := await decided(stack)) != before:
        before = now
        await asyncio.sleep(0.5)  # the quiet period that counts as idle


async def at_gateway(stack: Stack, arrivals: Arrivals, sent: list[Sent]) -> None:
    """Until every order of ``sent`` reached the venue; else say what became of a few."""

    async def arrived() -> bool:
        await arrivals.refresh()
        return all(s.client_order_id in arrivals.perf for s in sent)

    try:
        await stack.until(f"{len(sent)} orders at the gateway", arrived, 120)
    except AssertionError:
        missing = [s.client_order_id for s in sent if s.client_order_id not in arrivals.perf]
        for coid in missing[:3]:
            rejected = [r.message for r in stack.recorder.rejections(coid)]
            print(f"  {coid}: {stack.recorder.lifecycle(coid)} {rejected}")
        raise


@dataclass
class Report:
    """The figures of one run: printed as they come, and kept for the final line."""

    final: dict[str, float | str] = field(default_factory=dict)

    def line(self, text: str) -> None:
        print(text, flush=True)  # as it comes: a later failure keeps the figures so far

    def row(self, name: str, samples: list[float]) -> tuple[float, float]:
        p50, p99 = percentiles(samples)
        self.line(f"  {name:<52}{p50:>8.1f}{p99:>8.1f}{len(samples):>8}")
        return p50, p99


async def steady(stack: Stack, arrivals: Arrivals, report: Report) -> None:
    await settle(stack)
    sent = await offer(stack, STEADY_RATE, STEADY_S)
    await at_gateway(stack, arrivals, sent)
    await asyncio.sleep(1.0)  # the recorder's copies of the last records
    decision, write_ahead = stamped(stack, ApprovedOrder), stamped(stack, OrderSubmitting)
    split = [s for s in sent if s.client_order_id in decision and s.client_order_id in write_ahead]
    ms = 1000.0
    hops = {
        "publish -> risk's decision record": [
            (decision[s.client_order_id] - s.wall) * ms for s in split
        ],
        "decision -> router's write-ahead record": [
            (write_ahead[s.client_order_id] - decision[s.client_order_id]) * ms for s in split
        ],
        "write-ahead -> bytes at the gateway": [
            (arrivals.wall[s.client_order_id] - write_ahead[s.client_order_id]) * ms for s in split
        ],
    }
    report.line(f"steady: {STEADY_RATE:.0f} signals/s for {STEADY_S:.0f} s (ms)")
    report.line(f"  {'':<52}{'p50':>8}{'p99':>8}{'n':>8}")
    first_hop = [report.row(name, samples)[0] for name, samples in hops.items()]
    gw = report.row(
        "publish -> gateway (one clock)",
        [(arrivals.perf[s.client_order_id] - s.perf) * ms for s in sent],
    )
    report.final |= {"gw_p50_ms": gw[0], "gw_p99_ms": gw[1], "hop_p50_ms": first_hop[0]}


def memory(stack: Stack) -> str:
    """Each service process's resident memory now and at its peak (``VmRSS``/``VmHWM``)."""
    cells = []
    for name, service in stack.services.items():
        assert service.process is not None
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        kb = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
        rss, peak = (int(kb[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
        cells.append(f"{name}={rss:.0f}MB(peak {peak:.0f})")
    return "e2e rss: " + " ".join(cells)


async def floors(stack: Stack, bootstrap: str, arrivals: Arrivals, report: Report) -> None:
    report.line("floors on the same broker and simulator (ms)")
    plain = report.row("aiokafka hop, project settings", await kafka_hop(bootstrap, FLOOR_SAMPLES))
    report.row(
        "aiokafka hop, tuned (" + ", ".join(f"{k}={v}" for k, v in TUNED.items()) + ")",
        await kafka_hop(bootstrap, FLOOR_SAMPLES, producer=TUNED_PRODUCER, consumer=TUNED_CONSUMER),
    )
    direct = report.row(
        "direct ib_async placeOrder -> gateway",
        await direct_ib(stack.broker.sim.port, stack.account, DIRECT_SAMPLES, arrivals.of),
    )
    report.final |= {"floor_hop_p50_ms": plain[0], "direct_p50_ms": direct[0]}


def router_messages(sim: TwsProcess) -> int:
    """Messages the simulator has had from the router (its client id) so far."""
    return int(sim.counters()["messages_by_client"].get(ROUTER_CLIENT_ID, 0))


async def pacer_queue(stack: Stack) -> float:
    """Messages waiting in the router's pacer now (``sluice_ibkr_pacing_waiting``)."""
    text = (await stack.http.get(stack.url("order-router", "/metrics"))).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sluice_ibkr_pacing_waiting")
    )


async def sample_queue(stack: Stack, samples: list[float]) -> None:
    """The pacer's queue every ``QUEUE_SAMPLE_S`` until cancelled (empty: the router starved)."""
    while True:
        samples.append(await pacer_queue(stack))
        await asyncio.sleep(QUEUE_SAMPLE_S)


async def paced(stack: Stack, arrivals: Arrivals, report: Report) -> None:
    await settle(stack)
    sim = stack.broker.sim
    violations = await asyncio.to_thread(sim.pacing_violations)
    messages = await asyncio.to_thread(router_messages, sim)
    queue: list[float] = []
    sampler = asyncio.create_task(sample_queue(stack, queue))
    sent = await burst(stack, BURST)
    try:
        await at_gateway(stack, arrivals, sent)
    finally:
        sampler.cancel()
    times = sorted(arrivals.perf[s.client_order_id] for s in sent)
    rate = (len(times) - 1) / (times[-1] - times[0])
    violations = await asyncio.to_thread(sim.pacing_violations) - violations
    messages = await asyncio.to_thread(router_messages, sim) - messages
    gaps = [b - a for a, b in itertools.pairwise(times)]
    slow = [g for g in gaps if g > 2 / PACING_RATE]  # more than two slots between two orders
    report.line(
        f"burst: {BURST} signals at once: {rate:.1f} orders/s at the gateway "
        f"({rate / PACING_RATE:.1%} of {PACING_RATE:.0f}/s), {violations} pacing violations; "
        f"last order {(times[-1] - sent[0].perf):.1f} s after the publish"
    )
    report.line(
        f"  gaps over two slots: {len(slow)} ({sum(slow):.2f} s in all, longest "
        f"{max(gaps, default=0) * 1000:.0f} ms); pacer queue empty in "
        f"{sum(1 for q in queue if q == 0)} of {len(queue)} samples, median "
        f"{statistics.median(queue) if queue else float('nan'):.0f} waiting; "
        f"{messages / BURST:.2f} messages from the router per order"
    )
    report.final["pacing_pct"] = 100 * rate / PACING_RATE


async def restart(stack: Stack, report: Report) -> None:
    """Kill -9 the router with its journal of this run, start it, time it until ready."""
    router = stack.services["order-router"]
    router.kill()
    spawned = time.perf_counter()
    router.start()
    ready = await ready_after(router, stack.http, spawned)
    report.line(f"router ready {ready:.2f} s after a kill -9")
    report.final["router_ready_s"] = ready


async def run() -> Report:
    report = Report()
    async with running_broker() as broker:
        log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-e2e-"))
        stack = ServiceStack(
            StackOptions(
                broker.bootstrap,
                log_dir,
                risk_limits=LIMITS,
                log_level="WARNING",
                risk_commit=RISK_COMMIT,
            ),
            SimProcessBroker,
        )
        report.line(f"risk commits through: {RISK_COMMIT}")
        arrivals = Arrivals(stack.broker.sim)
        try:
            await stack.start()
            warmup = await offer(stack, 10.0, WARMUP / 10.0)
            await at_gateway(stack, arrivals, warmup)
            await steady(stack, arrivals, report)
            await paced(stack, arrivals, report)
            # last: the direct orders move the account's position behind risk's back, and the
            # router's broker-truth check would then halt new orders
            await floors(stack, broker.bootstrap, arrivals, report)
            report.line(memory(stack))
            await restart(stack, report)
            return report
        except BaseException:
            print(stack.logs())
            raise
        finally:
            await stack.stop()


def final_line(figures: dict[str, float | str]) -> str:
    """``e2e: key=value ...`` in the issue's order; numbers to one decimal."""
    keys = ("gw_p50_ms", "gw_p99_ms", "hop_p50_ms", "floor_hop_p50_ms", "direct_p50_ms",
            "pacing_pct", "router_ready_s")  # fmt: skip
    values = {k: figures.get(k, "na") for k in keys}
    return "e2e: " + " ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def main() -> None:
    """Print the hop table, the floors, the burst and the machine-readable line."""
    print("e2e: signal on Kafka -> risk -> router -> TWS simulator; four service processes")
    report = asyncio.run(run())
    print(final_line(report.final))


if __name__ == "__main__":
    main()
