"""The chaos run: a steady stream of signals through the deployed-shape stack while the router is
SIGKILLed at random, the Kafka broker restarts, the gateway loses its link to IB (1100, then
1101/1102, once with a router starting inside the outage) and makes its daily restart.

One driver for both callers: ``tests/e2e/chaos`` runs a small plan in ``make test``,
``python -m bench chaos`` the full one. What counts is the venue's record (the simulator):
exactly one broker order per approved signal (or its ``order_expired``), none sent after its
expiry, none for a signal that was never approved.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sluice_proto import ApprovedOrder, Signal, utc_now
from sluice_sim.venue.events import VenueEvent
from tests.e2e.stack import FINAL, ProcessStack, StackOptions, running
from tests.support.kafka_broker import Broker, running_broker

SYMBOLS = ("AAPL", "SPY")  # the stack's, whose quotes already flow
RECOVER_TIMEOUT_S = 120.0
"""Generous: the 2-core box is shared; a slow recovery shows in the figures, not as a failure."""
SETTLE_TIMEOUT_S = 120.0
"""After the stream: every signal reaches a final state (a parked one within risk's TTL)."""
RISK_LIMITS = {
    "max_orders_per_window": 1_000_000,
    "max_open_orders": 100_000,
    "max_position": 1_000_000,
    "max_gross_exposure": 10**12,
    "max_signal_age_s": 60,  # a publish may wait out the broker's restart
}
Fault = Literal["kill", "kill_in_outage", "broker", "link", "daily"]


@dataclass(frozen=True, slots=True)
class ChaosPlan:
    """How much chaos: ``kills`` router SIGKILLs (one of them inside an 1100 outage) during
    ``signals`` signals offered at ``rate`` per second; reproducible from ``seed``."""

    signals: int
    kills: int
    rate: float
    seed: int = 11
    broker_restart: bool = True
    short_share: float = 0.3
    """Share of signals with a short ``expires_at`` (``short_s`` after they are made)."""
    short_s: tuple[float, float] = (1.0, 4.0)
    down_s: tuple[float, float] = (0.5, 4.0)
    """How long a killed router, or the broker, stays down."""
    calm_s: tuple[float, float] = (0.5, 2.0)
    """Trading time between one recovery and the next fault."""

    def faults(self, rng: random.Random) -> list[Fault]:
        """Every fault of the run, in a random order."""
        kills: list[Fault] = ["kill"] * (self.kills - 1)
        faults: list[Fault] = [*kills, "kill_in_outage", "link", "daily"]
        if self.broker_restart:
            faults.append("broker")
        rng.shuffle(faults)
        return faults


@dataclass(frozen=True, slots=True)
class Recovery:
    """One fault: how long it lasted, and from its end until trading again (seconds)."""

    fault: Fault
    down_s: float
    recover_s: float

    def line(self) -> str:
        return (
            f"  {self.fault:<15} down {self.down_s:5.1f} s  "
            f"trading again {self.recover_s:5.1f} s later"
        )


@dataclass
class GatewayLog:
    """When the venue first saw each ``orderRef`` (its own clock), from its listener."""

    first: dict[str, datetime] = field(default_factory=dict)

    def __call__(self, event: VenueEvent) -> None:
        self.first.setdefault(event.order.spec.order_ref, event.order.created_at)


@dataclass(frozen=True, slots=True)
class ChaosReport:
    """The run's figures; the run held if ``violations`` is empty."""

    signals: int
    approved: int
    broker_orders: int
    filled: int
    expired: int
    rejected: dict[str, int]
    """Risk's (or the router's) refusals by reason code (``X after release``: of a signal
    released after parking)."""
    parked: int
    duplicates: list[str]
    lost: list[str]
    late: list[str]
    """Reached the venue after their expiry."""
    unapproved_sent: list[str]
    expired_sent: list[str]
    """Ended ``order_expired`` although an order reached the venue."""
    broker_rejected: list[str]
    reused_order_ids: list[tuple[int, int]]
    recoveries: list[Recovery]
    seconds: float

    @property
    def kills(self) -> int:
        return sum(r.fault.startswith("kill") for r in self.recoveries)

    @property
    def violations(self) -> dict[str, list[str]]:
        found = {
            "duplicates": self.duplicates,
            "lost": self.lost,
            "late": self.late,
            "unapproved_sent": self.unapproved_sent,
            "expired_sent": self.expired_sent,
            "broker_rejected": self.broker_rejected,
            "reused_order_ids": [f"{c}/{o}" for c, o in self.reused_order_ids],
        }
        return {name: refs for name, refs in found.items() if refs}

    def kill_recovery_s(self) -> tuple[float, float]:
        """p50 and max of the time from a killed router's restart until trading again."""
        times = [r.recover_s for r in self.recoveries if r.fault.startswith("kill")]
        return (statistics.median(times), max(times)) if times else (0.0, 0.0)

    def lines(self) -> list[str]:
        """The figures, one fault per line, each broken guarantee with its orders, then the
        machine-readable summary."""
        rows = [r.line() for r in self.recoveries]
        p50, worst = self.kill_recovery_s()
        summary = (
            f"chaos: signals={self.signals} approved={self.approved} "
            f"broker_orders={self.broker_orders} filled={self.filled} expired={self.expired} "
            f"rejected={sum(self.rejected.values())} parked={self.parked} kills={self.kills} "
            f"duplicates={len(self.duplicates)} lost={len(self.lost)} late={len(self.late)} "
            f"unapproved_sent={len(self.unapproved_sent)} expired_sent={len(self.expired_sent)} "
            f"broker_rejected={len(self.broker_rejected)} "
            f"reused_ids={len(self.reused_order_ids)} "
            f"kill_recover_p50_s={p50:.1f} kill_recover_max_s={worst:.1f} "
            f"seconds={self.seconds:.0f}"
        )
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(self.rejected.items()))
        broken = [f"  BROKEN {name}: {' '.join(refs)}" for name, refs in self.violations.items()]
        return [*rows, f"  rejected: {reasons or 'none'}", *broken, summary]


class ChaosRun:
    """Drive one plan against a started stack on ``broker`` (which this run may restart)."""

    def __init__(
        self, stack: ProcessStack, broker: Broker, plan: ChaosPlan,
        on_fault: Callable[[Recovery], None] | None = None,
    ) -> None:  # fmt: skip
        """``on_fault`` hears of each fault once trading is allowed again after it."""
        self.stack = stack
        self.on_fault = on_fault
        self.broker = broker
        self.plan = plan
        self.gateway = GatewayLog()
        stack.tws.venue.subscribe(self.gateway)
        self._stream_rng = random.Random(f"{plan.seed}-stream")
        self._fault_rng = random.Random(f"{plan.seed}-faults")
        self.signals: list[Signal] = []

    async def run(self) -> ChaosReport:
        """Stream the signals while the faults happen one after another; once both are done
        and every signal has reached a final state, count what the venue holds."""
        started = time.perf_counter()
        stream = asyncio.create_task(self._stream())
        try:
            recoveries = [await self._fault(f) for f in self.plan.faults(self._fault_rng)]
            await stream
        finally:
            stream.cancel()
        try:
            await self.stack.until("every signal to reach a final state", self._all_final,
                                   SETTLE_TIMEOUT_S)  # fmt: skip
        except AssertionError as exc:
            raise AssertionError(f"{exc}; still open: {self._open()}") from None
        return self._tally(recoveries, time.perf_counter() - started)

    async def _stream(self) -> None:
        rng, start = self._stream_rng, time.perf_counter()
        for n in range(self.plan.signals):
            await asyncio.sleep(max(0.0, start + n / self.plan.rate - time.perf_counter()))
            expires_at = None
            if rng.random() < self.plan.short_share:
                expires_at = utc_now() + timedelta(seconds=rng.uniform(*self.plan.short_s))
            side = rng.choice(("BUY", "SELL"))
            # stack.signal returns once the broker has the record: during its restart, later
            signal = await self.stack.signal(rng.choice(SYMBOLS), side, 1, expires_at=expires_at)
            self.signals.append(signal)

    async def _fault(self, fault: Fault) -> Recovery:
        rng = self._fault_rng
        await asyncio.sleep(rng.uniform(*self.plan.calm_s))
        down_s = rng.uniform(*self.plan.down_s)
        router = self.stack.services["order-router"]
        if fault == "kill":
            router.kill()
            await asyncio.sleep(down_s)
            router.start()
        elif fault == "broker":
            began = time.perf_counter()
            await self.broker.restart(down_s)
            down_s = time.perf_counter() - began
        elif fault == "daily":
            await self.stack.control.restart(window=down_s)
        else:  # an outage (1100), alone or with a router starting inside it
            began = time.perf_counter()
            self.stack.control.lose_connectivity()
            await asyncio.sleep(down_s)
            if fault == "kill_in_outage":
                router.kill()
                router.start()
                await self.stack.until("the new router at the gateway", self._connected, 60)
            self.stack.control.restore_connectivity(data_lost=rng.random() < 0.5)
            down_s = time.perf_counter() - began
        back = time.perf_counter()
        await self._trading_again(all_services=fault == "broker")
        recovery = Recovery(fault, down_s, time.perf_counter() - back)
        if self.on_fault is not None:
            self.on_fault(recovery)
        return recovery

    def _connected(self) -> bool:
        return bool(self.stack.control.counters()["connected_clients"])

    async def _trading_again(self, *, all_services: bool) -> None:
        services = (
            self.stack.services.values() if all_services else [self.stack.services["order-router"]]
        )
        for service in services:
            await service.wait_ready(self.stack.http, RECOVER_TIMEOUT_S)
        await self.stack.until("trading allowed again", self.stack.trading_allowed,
                               RECOVER_TIMEOUT_S)  # fmt: skip

    def _all_final(self) -> bool:
        lifecycle = self.stack.recorder.lifecycle
        return all(FINAL.intersection(lifecycle(s.client_order_id)) for s in self.signals)

    def _open(self) -> list[str]:
        """Each signal without a final state: its lifecycle and its orders at the venue."""
        lifecycle, control = self.stack.recorder.lifecycle, self.stack.control
        return [
            f"{coid} {lifecycle(coid)} at venue {control.orders_with_ref(coid)}"
            for coid in (s.client_order_id for s in self.signals)
            if not FINAL.intersection(lifecycle(coid))
        ]

    def _approvals(self) -> dict[str, ApprovedOrder]:
        return {
            m.event.client_order_id: m.event
            for m in self.stack.recorder.messages
            if isinstance(m.event, ApprovedOrder)
        }

    def _tally(self, recoveries: list[Recovery], seconds: float) -> ChaosReport:
        approvals, control = self._approvals(), self.stack.control
        counts: dict[str, list[str]] = {k: [] for k in (
            "approved", "sent", "filled", "expired", "rejected", "parked", "duplicates", "lost",
            "late", "unapproved_sent", "expired_sent", "broker_rejected",
        )}  # fmt: skip
        for signal in self.signals:
            coid = signal.client_order_id
            life, sent = self.stack.recorder.lifecycle(coid), control.orders_with_ref(coid)
            approved = approvals.get(coid)
            checks = {
                "approved": approved is not None,
                "sent": sent > 0,
                "filled": "order_filled" in life,
                "expired": "order_expired" in life,
                "rejected": "order_rejected" in life,
                "parked": "order_parked" in life,
                "duplicates": sent > 1,
                "lost": approved is not None and sent == 0 and "order_expired" not in life,
                "late": _late(approved, self.gateway.first.get(coid)),
                "unapproved_sent": sent > 0 and approved is None,
                "expired_sent": sent > 0 and "order_expired" in life,
                "broker_rejected": "order_broker_rejected" in life,
            }
            for name, holds in checks.items():
                if holds:
                    counts[name].append(coid)
        return ChaosReport(
            signals=len(self.signals),
            approved=len(counts["approved"]),
            broker_orders=len(counts["sent"]),
            filled=len(counts["filled"]),
            expired=len(counts["expired"]),
            rejected=self._refusals(counts["rejected"]),
            parked=len(counts["parked"]),
            duplicates=counts["duplicates"],
            lost=counts["lost"],
            late=counts["late"],
            unapproved_sent=counts["unapproved_sent"],
            expired_sent=counts["expired_sent"],
            broker_rejected=counts["broker_rejected"],
            reused_order_ids=control.reused_order_ids(),
            recoveries=recoveries,
            seconds=seconds,
        )

    def _refusals(self, refused: list[str]) -> dict[str, int]:
        """Refusals by reason code, those of released (once parked) signals apart."""
        recorder = self.stack.recorder
        return dict(
            Counter(
                r.reason_code
                + (" after release" if "order_released" in recorder.lifecycle(c) else "")
                for c in refused
                for r in recorder.rejections(c)
            )
        )


def _late(approved: ApprovedOrder | None, at_gateway: datetime | None) -> bool:
    if approved is None or approved.expires_at is None or at_gateway is None:
        return False
    return at_gateway > approved.expires_at


@asynccontextmanager
async def chaos_stack(
    log_dir: Path, log_level: str = "INFO"
) -> AsyncIterator[tuple[Broker, ProcessStack]]:
    """A broker of its own (the run restarts it) and the stack on it, started; stopped at the
    end, where every process must exit 0."""
    async with running_broker() as broker:
        options = StackOptions(
            broker.bootstrap, log_dir, risk_limits=RISK_LIMITS, log_level=log_level
        )
        async with running(ProcessStack(options)) as stack:
            yield broker, stack
