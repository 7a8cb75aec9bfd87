"""Sluice answering on a real Kafka broker: the embedded stack (``LocalStack``, as ``sluice up``
runs it) in its own process, so tests may block on command-line tools while it trades.

Run as ``python -m tests.support.kafka_stack BOOTSTRAP ACCOUNT``: it prints ``ready`` once the
session-keeper lets the account trade, and stops cleanly on SIGTERM.
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
from typing import TYPE_CHECKING

import pytest

from sluice_proto import SessionState
from sluice_proto.topics import SESSION_STATE
from tests.support.polling import eventually

if TYPE_CHECKING:
    from sluice_cli.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
READY = "ready"
START_TIMEOUT_S = 120.0


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

    Package-scoped, imported by the conftest of each package that uses it: the stack runs only
    while that package's tests do, never beside another package's services on the same topics
    (two simulators would quote the same instrument at two prices).
    """
    log = tmp_path_factory.mktemp("kafka-stack") / "stack.log"
    with running_stack(kafka_bootstrap, log) as stack:
        yield stack


@contextlib.contextmanager
def running_stack(bootstrap: str, log: Path) -> Iterator[KafkaStack]:
    """Start the stack on ``bootstrap`` with a fresh account; SIGTERM it on exit."""
    account = f"DU{secrets.randbelow(10**7):07d}"
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_KAFKA_BOOTSTRAP"}
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
            process.wait(timeout=60)
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
        await eventually(
            lambda: _trading_allowed(stack, account),
            within=START_TIMEOUT_S,
            what=f"a session verdict letting {account} trade",
            interval=0.2,
        )
        print(READY, flush=True)
        await stop.wait()
    finally:
        await stack.stop()


async def _trading_allowed(stack: LocalStack, account: str) -> bool:
    latest = None
    async for message in stack.operator.replay([SESSION_STATE]):
        event = message.event
        if isinstance(event, SessionState) and event.account == account:
            latest = event
    return latest is not None and latest.trading_allowed


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
