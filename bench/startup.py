"""How fast the order-router is back after a crash: kill -9, restart, time until ``/readyz``.

Run: ``python -m bench startup``. A fresh single-node broker, the TWS simulator in this process
and one ``python -m sluice_order_router`` process (exactly as ``tests/e2e`` starts it). First
``JOURNAL_ORDERS`` approved orders go straight onto ``sluice.orders.approved.v1`` (as risk
would publish them) and fill, so the journal holds their lifecycle; then the router is killed
with SIGKILL and started again ``RESTARTS`` times. Each restart is timed from ``Popen`` until
``/readyz`` answers 200, and split into phases by the router's own log lines (JSON, with
timestamps on this machine's clock):

- **imports**: ``Popen`` → ``starting`` (the interpreter, the service's modules, settings);
- **build**: → ``listening`` (the component built, the HTTP port bound);
- **bus**: → ``bus started`` (topics checked, the producer connected);
- **journal**: → ``journal replayed`` (``Bus.replay`` of the account's events);
- **running**: → ``running`` (the consumers joined their groups);
- **ibkr**: → ``IBKR connected`` (socket, API handshake, the initial sync);
- **ready**: ``Popen`` → ``/readyz`` 200 (polled every 20 ms);
- **cpu**: CPU seconds the process used until then (user + system): what a loaded machine
  inflates far less than the wall times.

Phases that run in parallel (the IBKR connect overlaps the journal replay) can end in either
order; each figure is the time from ``Popen``. The last line is machine-readable.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx

from sluice_bus import make_bus
from sluice_proto import OrderFilled
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS
from tests.e2e.processes import ServiceProcess
from tests.e2e.stack import StackOptions, TwsBroker
from tests.support.kafka_broker import running_broker
from tests.support.orders import approved

JOURNAL_ORDERS = 200
RESTARTS = 5
POLL_S = 0.02
MARKS = {
    "imports": "starting",
    "build": "listening on",
    "bus": "bus started",
    "journal": "journal replayed",
    "running": " running",
    "ibkr": "IBKR connected",
}


def router(bootstrap: str, broker: TwsBroker, log_dir: Path, account: str) -> ServiceProcess:
    env = {
        "SLUICE_KAFKA_BOOTSTRAP": bootstrap,
        "SLUICE_LOG_LEVEL": "INFO",
        "SLUICE_LOG_FORMAT": "json",
        "IBKR_ACCOUNT": account,
        "IBKR_API": "socket",
        "TRADING_MODE": "paper",
        "SLUICE_RECONNECT_INITIAL_S": "0.2",
        "SLUICE_RECONNECT_MAX_S": "1",
    } | broker.env("order-router")
    return ServiceProcess("order-router", "sluice_order_router", env, log_dir)


def cpu_s(process: ServiceProcess) -> float:
    """CPU seconds (user + system) the process has used so far (``/proc/<pid>/stat``)."""
    assert process.process is not None
    stat = Path(f"/proc/{process.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ready_after(process: ServiceProcess, http: httpx.AsyncClient, spawned: float) -> float:
    """Seconds from ``spawned`` (perf_counter) until ``/readyz`` is 200."""
    while True:
        if process.process is not None and process.process.poll() is not None:
            raise RuntimeError(f"the router exited:\n{process.tail()}")
        try:
            response = await http.get(f"{process.url}/readyz", timeout=1)
        except httpx.TransportError:
            pass
        else:
            if response.status_code == 200:
                return time.perf_counter() - spawned
        await asyncio.sleep(POLL_S)


def phases(log: str, spawned_at: float) -> dict[str, float]:
    """Seconds from ``spawned_at`` (epoch) to each mark's first line in ``log``."""
    found: dict[str, float] = {}
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        at = datetime.fromisoformat(record["timestamp"]).timestamp() - spawned_at
        for phase, mark in MARKS.items():
            if phase not in found and mark in record.get("message", ""):
                found[phase] = at
    return found


async def build_journal(bootstrap: str, broker: TwsBroker, account: str) -> int:
    """Approve ``JOURNAL_ORDERS`` orders and wait until all filled; the journal's length."""
    bus = make_bus("bench-startup", bootstrap)
    await bus.start()
    filled: set[str] = set()
    try:
        for n in range(JOURNAL_ORDERS):
            order = approved(f"bench-{n}", account=account, quantity=Decimal(1))
            await bus.publish(ORDERS_APPROVED, order, key=account)
        deadline = time.monotonic() + 120
        while len(filled) < JOURNAL_ORDERS and time.monotonic() < deadline:
            filled = {
                m.event.client_order_id
                async for m in bus.replay([ORDERS_EVENTS])
                if isinstance(m.event, OrderFilled)
            }
            await asyncio.sleep(1)
        return sum([1 async for _ in bus.replay([ORDERS_EVENTS])])
    finally:
        await bus.stop()


async def run() -> tuple[int, list[float], list[dict[str, float]]]:
    options = StackOptions("", Path())
    async with running_broker() as kafka:
        log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-startup-"))
        broker = TwsBroker(options)
        await broker.start()
        http = httpx.AsyncClient()
        process = router(kafka.bootstrap, broker, log_dir, options.account)
        try:
            process.start()
            await ready_after(process, http, time.perf_counter())
            journal = await build_journal(kafka.bootstrap, broker, options.account)
            readies, splits = [], []
            for _ in range(RESTARTS):
                process.kill()
                process.log_path.unlink()
                spawned_at, spawned = time.time(), time.perf_counter()
                process.start()
                readies.append(await ready_after(process, http, spawned))
                split = phases(process.log_path.read_text(), spawned_at)
                splits.append(split | {"cpu": cpu_s(process)})
            return journal, readies, splits
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait_exit)
            await http.aclose()
            await broker.stop()


def main() -> None:
    """Print each restart's phases, then the best and median time to ready."""
    journal, readies, splits = asyncio.run(run())
    print(f"startup: the order-router after kill -9, journal of {journal} events; s from Popen")
    print("  " + "".join(f"{p:>9}" for p in [*MARKS, "ready", "cpu"]))
    for ready, split in zip(readies, splits, strict=True):
        cells = "".join(f"{split[p]:>9.2f}" if p in split else f"{'-':>9}" for p in MARKS)
        print(f"  {cells}{ready:>9.2f}{split['cpu']:>9.2f}")
    median, cpu = statistics.median(readies), statistics.median(s["cpu"] for s in splits)
    print(
        f"startup: router_ready_s={median:.2f} router_ready_best_s={min(readies):.2f}"
        f" router_ready_cpu_s={cpu:.2f}"
    )


if __name__ == "__main__":
    main()
