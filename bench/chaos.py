"""The chaos run at full scale: 1,000 signals through the four service processes on a real
broker while the router is SIGKILLed 20 times (one of them inside a gateway 1100 outage), the
broker restarts once, the gateway loses IB once more (1100, with the router up) and makes its
daily restart.

Run: ``python -m bench chaos``. The driver is ``tests/support/chaos.py``, the same one
``tests/e2e/chaos`` runs at a small scale in ``make test``. Printed: each fault with how long
it lasted and how long after it trading was allowed again, risk's refusals by reason, then one
machine-readable line (``chaos: signals=1000 kills=20 duplicates=0 lost=0 ...``). It exits 1
if the venue holds a duplicate, misses an approved order, or received one after its expiry.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from tests.support.chaos import ChaosPlan, ChaosReport, ChaosRun, Recovery, chaos_stack

PLAN = ChaosPlan(signals=1000, kills=20, rate=4.0, seed=11)


async def run() -> ChaosReport:
    log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-chaos-"))
    print(f"  service logs in {log_dir}", flush=True)
    async with chaos_stack(log_dir, log_level="WARNING") as (broker, stack):
        try:
            return await ChaosRun(stack, broker, PLAN, on_fault=progress).run()
        except BaseException:
            print(stack.logs())
            raise


def progress(recovery: Recovery) -> None:
    print(recovery.line(), flush=True)


def main() -> None:
    """Print the run's figures; exit 1 if it broke a guarantee."""
    print(
        f"chaos: {PLAN.signals} signals at {PLAN.rate:g}/s, {PLAN.kills} router SIGKILLs, "
        "a broker restart, two 1100 outages, a daily restart (seed "
        f"{PLAN.seed})",
        flush=True,
    )
    # The run restarts the broker on purpose: this process's own Kafka client would print
    # every failed reconnect (the services summarise theirs, one line per outage).
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    report = asyncio.run(run())
    print("\n".join(report.lines()[len(report.recoveries) :]))
    if report.violations:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
