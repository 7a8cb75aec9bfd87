"""On the real broker: SIGTERM commits exactly what the service handled, then exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from decimal import Decimal

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from sluice_bus import make_bus
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from tests.support.demo_process import demo_service, wait_ready
from tests.support.net import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

COUNT = 5


def handled(port: int, group: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    prefix = f'sluice_events_handled_total{{group="{group}",topic="{SIGNALS}"}} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


def run_until_handled_then_sigterm(bootstrap: str, group: str) -> tuple[int | None, str, str]:
    """Start the demo service as ``group``, wait for COUNT handled records, SIGTERM it."""
    port = free_port()
    env = {"DEMO_CONSUME": "1", "SLUICE_KAFKA_BOOTSTRAP": bootstrap, "SLUICE_SERVICE_NAME": group}
    with demo_service(port, **env) as process:
        wait_ready(port, process, timeout_s=120)
        deadline = time.monotonic() + 60
        while (count := handled(port, group)) < COUNT:
            assert time.monotonic() < deadline, f"handled only {count}"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


async def test_sigterm_on_kafka_commits_exactly_what_was_handled(kafka_bootstrap: str) -> None:
    producer = make_bus("runtime-test-producer", kafka_bootstrap)
    await producer.start()
    try:
        for number in range(COUNT):
            signal_ = Signal(
                signal_id=f"shutdown-{number}",
                strategy_id=f"rt-{number}",
                symbol="AAPL",
                side="BUY",
                quantity=Decimal(1),
                order_type="MKT",
            )
            await producer.publish(SIGNALS, signal_, key=signal_.strategy_id)
    finally:
        await producer.stop()

    group = f"runtime-shutdown-{time.time_ns()}"
    code, stdout, stderr = await asyncio.to_thread(
        run_until_handled_then_sigterm, kafka_bootstrap, group
    )
    assert code == 0, stderr

    next_offsets: dict[int, int] = {}
    for line in map(json.loads, stdout.splitlines()):
        if line["message"].startswith("handled "):
            partition, offset = map(int, line["message"].removeprefix("handled ").split("@"))
            next_offsets[partition] = max(next_offsets.get(partition, 0), offset + 1)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert sum(next_offsets.values()) >= COUNT
    # Other tests share the topic: a partition may hold only their records (some of them bad
    # ones, dead-lettered rather than handled). Every partition this run handled ends with
    # its own records, so there the commit must be exactly one past the last one handled.
    by_partition = {tp.partition: meta.offset for tp, meta in committed.items()}
    assert {p: by_partition.get(p) for p in next_offsets} == next_offsets
