"""The floors under the e2e figures, measured on the same broker and simulator in the same run.

- ``kafka_hop``: a bare aiokafka produce (awaiting the ack) → consume hop, one record at a
  time with a gap between them (the way signals arrive), with the producer settings the
  project uses (``sluice_bus.kafka_send.producer_settings``: idempotent, ``acks=all``) and the
  consumer settings of ``KafkaConsumer`` (``read_committed``), or with ``tuned`` overrides.
- ``direct_ib``: an ib_async client of its own calling ``placeOrder`` until the simulator's
  venue sees the order: what one socket message costs with no Kafka at all.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from ib_async import IB, MarketOrder, Stock

from sluice_bus.kafka_send import producer_settings

GAP_S = 0.02
"""Pause between two samples: the consumer is idle when the next record is published."""
ASK_S = 0.005
"""Pause before asking the simulator whether a direct order has arrived (and between asks)."""


async def kafka_hop(
    bootstrap: str,
    samples: int,
    *,
    producer: Mapping[str, Any] | None = None,
    consumer: Mapping[str, Any] | None = None,
) -> list[float]:
    """Produce → consume latencies in ms, one record at a time, ``GAP_S`` apart."""
    topic = f"bench.floor.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-floor")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    sender = AIOKafkaProducer(**producer_settings(bootstrap, "bench-floor") | dict(producer or {}))
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="bench-floor",
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        **dict(consumer or {}),
    )
    await sender.start()
    await reader.start()
    try:
        await sender.send_and_wait(topic, b"warm-up")
        reader.assign([TopicPartition(topic, 0)])
        await reader.getone()
        latencies = []
        for _ in range(samples):
            await asyncio.sleep(GAP_S)
            started = time.perf_counter()
            await sender.send_and_wait(topic, b"x" * 300)
            await reader.getone()
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies
    finally:
        await reader.stop()
        await sender.stop()


async def direct_ib(
    port: int, account: str, samples: int, arrivals: Callable[[str], Awaitable[float | None]]
) -> list[float]:
    """``placeOrder`` → the venue sees it, in ms, through a plain ib_async client (client id
    99); ``arrivals`` answers when an ``orderRef`` reached the venue (perf_counter, of any
    process of this machine: CLOCK_MONOTONIC)."""
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=99, timeout=10)
    try:
        contract = Stock("AAPL", "SMART", "USD")
        await ib.qualifyContractsAsync(contract)  # fills in the conId
        latencies = []
        for number in range(samples):
            await asyncio.sleep(GAP_S)
            ref = f"direct-{uuid.uuid4().hex[:8]}-{number}"
            order = MarketOrder("BUY" if number % 2 else "SELL", 1, orderRef=ref, account=account)
            started = time.perf_counter()
            ib.placeOrder(contract, order)
            await asyncio.sleep(ASK_S)
            # the venue stamps the arrival; asked after it is due, so that the asking does not
            # keep the simulator's loop busy while the order is on its way
            while (seen := await arrivals(ref)) is None:  # noqa: ASYNC110  # another process
                await asyncio.sleep(ASK_S)
            latencies.append((seen - started) * 1000)
        return latencies
    finally:
        ib.disconnect()
