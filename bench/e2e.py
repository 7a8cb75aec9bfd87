"""End-to-end latency: a signal published on Kafka until its order reaches the simulated gateway.

Run: ``python -m bench e2e``. The four services run as their own processes on a real
single-node broker (``tests/support/kafka_broker.py``), started exactly as the e2e tests start
them (``tests/e2e/stack.py``); the TWS simulator runs in this process, so the publish time and
the arrival time come from one clock (``time.perf_counter``).

- **gw**: ``publish`` of the signal → the simulator's venue sees the order (its listener fires
  while the simulator handles ``placeOrder``): risk, two Kafka hops, the router's write-ahead
  record, its pacing queue and the socket.
- **ok** / **wa**: ``publish`` → this process receiving risk's ``ApprovedOrder`` / the router's
  ``OrderSubmitting`` back from Kafka (one more hop than the service itself saw): where a
  queue builds up.

Signals are market orders of one share, alternating sides over three symbols, offered on a
fixed schedule: first at a low rate (what one order costs), then 100 per second for two
seconds. One socket client may send IBKR about 50 messages per second (the router paces at
45/s), so 100 orders/s cannot all reach the gateway at once through one client anyway.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluice_proto import ApprovedOrder, OrderSubmitting
from sluice_proto.topics import ORDERS_EVENTS, SIGNALS
from sluice_sim.venue.events import VenueEvent
from tests.e2e.stack import ProcessStack, StackOptions
from tests.support.kafka_broker import running_broker

PHASES = ((2.0, 5.0), (100.0, 2.0))  # (signals per second, seconds)
WARMUP = 12
LIMITS = {
    "max_orders_per_window": 1_000_000,
    "max_open_orders": 100_000,
    "max_position": 1_000_000,
    "max_gross_exposure": 10**12,
}
SYMBOLS = ("AAPL", "MSFT", "SPY")


@dataclass
class Arrivals:
    """When each order ref first reached the venue (``time.perf_counter``)."""

    at: dict[str, float] = field(default_factory=dict)

    def __call__(self, event: VenueEvent) -> None:
        self.at.setdefault(event.order.spec.order_ref, time.perf_counter())


@dataclass(frozen=True, slots=True)
class Sent:
    client_order_id: str
    perf: float


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


async def offer(stack: ProcessStack, rate: float, seconds: float) -> list[Sent]:
    """Publish ``rate`` market orders per second for ``seconds`` on a fixed schedule."""
    sent, start, count = [], time.perf_counter(), int(rate * seconds)
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        perf = time.perf_counter()
        signal = await stack.signal(SYMBOLS[n % 3], "BUY" if n // 3 % 2 else "SELL", 1)
        sent.append(Sent(signal.client_order_id, perf))
    return sent


def seen_ms(stack: ProcessStack, sent: list[Sent], kind: type[Any]) -> list[float]:
    """Publish → this process receiving the order's first ``kind`` record back, in ms."""
    seen: dict[str, float] = {}
    for message, at in zip(stack.recorder.messages, stack.recorder.arrived, strict=True):
        if isinstance(message.event, kind):
            seen.setdefault(message.event.client_order_id, at)
    return [(seen[s.client_order_id] - s.perf) * 1000 for s in sent if s.client_order_id in seen]


async def decided(stack: ProcessStack) -> float:
    """Signals and order events risk has handled so far (quotes keep flowing, so not those)."""
    text = (await stack.http.get(stack.url("risk", "/metrics"))).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sluice_events_handled_total")
        and any(f'topic="{topic}"' in line for topic in (SIGNALS, ORDERS_EVENTS))
    )


async def settle(stack: ProcessStack) -> None:
    """Wait until risk has worked off its backlog (no record handled for half a second), so a
    phase does not pay for the order events of the one before."""
    before = -1.0
    while (now := await decided(stack)) != before:
        before = now
        await asyncio.sleep(0.5)  # the quiet period that counts as idle


async def measure(stack: ProcessStack, arrivals: Arrivals, rate: float, seconds: float) -> str:
    await settle(stack)
    sent = await offer(stack, rate, seconds)
    await stack.until(
        f"{len(sent)} orders at the gateway",
        lambda: all(s.client_order_id in arrivals.at for s in sent),
        90,
    )
    gateway = [(arrivals.at[s.client_order_id] - s.perf) * 1000 for s in sent]
    span = max(arrivals.at[s.client_order_id] for s in sent) - sent[0].perf
    figures = [
        *percentiles(seen_ms(stack, sent, ApprovedOrder)),
        *percentiles(seen_ms(stack, sent, OrderSubmitting)),
        *percentiles(gateway),
    ]
    cells = "".join(f"{f:>9.0f}" for f in figures)
    return f"  {rate:>6.0f}{len(sent):>7}{cells}{len(sent) / span:>10.1f}"


def memory(stack: ProcessStack) -> str:
    """Each service process's resident memory now and at its peak (``VmRSS``/``VmHWM``)."""
    cells = []
    for name, service in stack.services.items():
        assert service.process is not None
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        kb = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
        rss, peak = (int(kb[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
        cells.append(f"{name}={rss:.0f}MB(peak {peak:.0f})")
    return "e2e rss: " + " ".join(cells)


async def run() -> list[str]:
    async with running_broker() as broker:
        log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-e2e-"))
        stack = ProcessStack(
            StackOptions(broker.bootstrap, log_dir, risk_limits=LIMITS, log_level="WARNING")
        )
        arrivals = Arrivals()
        stack.tws.venue.subscribe(arrivals)
        try:
            await stack.start()
            warmup = await offer(stack, 10.0, WARMUP / 10.0)
            await stack.until(
                "warm-up", lambda: all(s.client_order_id in arrivals.at for s in warmup), 60
            )
            rows = [await measure(stack, arrivals, rate, secs) for rate, secs in PHASES]
            return [*rows, memory(stack)]
        except BaseException:
            print(stack.logs())
            raise
        finally:
            await stack.stop()


def main() -> None:
    """Print p50/p99 per offered rate."""
    print("e2e: signal on Kafka -> risk -> router -> TWS simulator; four service processes")
    print("  ms from publish to: ok = risk's approval, wa = the router's write-ahead, gw = gateway")
    header = ["sig/s", "orders", "ok p50", "ok p99", "wa p50", "wa p99", "gw p50", "gw p99"]
    print(f"  {header[0]:>6}{header[1]:>7}" + "".join(f"{h:>9}" for h in header[2:]) + "  gw/s")
    for row in asyncio.run(run()):
        print(row)


if __name__ == "__main__":
    main()
