"""Sluice answering on a real Kafka broker: the embedded stack (``LocalStack``, as ``sluice up``
runs it) in its own process, so tests may block on command-line tools while it trades.

Run as ``python -m tests.support.kafka_stack BOOTSTRAP ACCOUNT``: it prints ``ready`` once an
order of the account has been filled (so the account holds one AAPL from the start), and
stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sluice_client import OrderFilled, SluiceClient

ROOT = Path(__file__).resolve().parents[2]
READY = "ready"
PROBE_SYMBOL = "AAPL"
PROBE_ATTEMPTS = 8
PROBE_TIMEOUT_S = 30.0
START_TIMEOUT_S = PROBE_ATTEMPTS * (PROBE_TIMEOUT_S + 1)
STOP_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class KafkaStack:
    """Where the stack is: its broker and the (fresh) paper account it trades."""

    bootstrap: str
    account: str
    log: Path


@pytest.fixture(scope="package")
def kafka_stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaStack]:
    """Sluice answering on the session's broker, trading a fresh paper account.

    Imported by the conftest of each package (a directory with ``__init__.py``) that uses it,
    so the stack runs only while that package's tests do, never beside another package's
    services: they share consumer groups (the order-router's) and instruments (two simulators
    would quote one instrument at two prices).
    """
    log = tmp_path_factory.mktemp("kafka-stack") / "stack.log"
    with running_stack(kafka_bootstrap, log) as stack:
        yield stack


@contextlib.contextmanager
def running_stack(bootstrap: str, log: Path) -> Iterator[KafkaStack]:
    """Start the stack on ``bootstrap`` with a fresh account; SIGTERM it on exit."""
    account = f"DU{secrets.randbelow(10**7):07d}"
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_KAFKA_BOOTSTRAP"}
    # Risk's consumer groups are its own: the stack of the package before may have left an
    # open transaction or a member the broker has not expired yet.
    env["SLUICE_RISK_GROUP"] = f"sluice-risk.tests-{account}"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.kafka_stack", bootstrap, account],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=sink, text=True,
        )  # fmt: skip
    try:
        _wait_ready(process, log)
        yield KafkaStack(bootstrap, account, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)  # a clean stop leaves its groups at once
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[str], log: Path) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    for line in process.stdout:  # the runner prints one line, then nothing until it stops
        if line.strip() == READY:
            return
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"the Kafka stack did not get ready; its log:\n{log.read_text()[-4000:]}")


async def _serve(bootstrap: str, account: str) -> None:
    # Imported here: the parent process (the tests) needs none of the services.
    from sluice_cli.stack import LocalStack, StackConfig  # noqa: PLC0415
    from sluice_runtime import SluiceSettings  # noqa: PLC0415
    from sluice_runtime.server import stop_event_on_signals  # noqa: PLC0415

    stop = stop_event_on_signals()
    stack = LocalStack(StackConfig(account=account, bus=SluiceSettings(kafka_bootstrap=bootstrap)))
    await stack.start()
    try:
        await _trades(bootstrap, account)
        print(READY, flush=True)
        await stop.wait()
    finally:
        await stack.stop()


async def _trades(bootstrap: str, account: str) -> None:
    """Return once a market order of the account is filled end to end.

    The services share consumer groups with the stack of the package before, so a group may
    still be rebalancing when this one starts: only a filled order proves that risk (with its
    quote and session feeds), the router and market-data all have their partitions.
    """
    async with SluiceClient(bootstrap, "stack-probe") as client:
        await client.subscribe(PROBE_SYMBOL, "stack-probe")
        outcomes = []
        for _ in range(PROBE_ATTEMPTS):
            signal = await client.signal(PROBE_SYMBOL, "BUY", 1, account=account)
            try:
                outcome = await client.outcome(signal, timeout=PROBE_TIMEOUT_S)
            except TimeoutError:
                outcome = "no answer"
            if isinstance(outcome, OrderFilled):
                return
            outcomes.append(outcome)
            await asyncio.sleep(1.0)  # before the next probe: the groups settle in seconds
    raise RuntimeError(f"the stack never filled a probe order: {outcomes}")


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
