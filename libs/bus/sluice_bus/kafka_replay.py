"""Reading Kafka partitions up to a bound, outside any consumer group (``Bus.replay``).

A group-less consumer reads ``read_committed``, so records of aborted transactions are never
returned and the end offsets are last stable offsets. Progress is measured with
``position()``, which moves past transaction markers that no record ever reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from sluice_bus.api import Offsets, Record
from sluice_bus.kafka_admin import partitions_of
from sluice_bus.kafka_consumer import to_record

FETCH_TIMEOUT_MS = 1000


@contextlib.asynccontextmanager
async def _reader(bootstrap: str, client_id: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=f"{client_id}.replay",
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def end_offsets(
    bootstrap: str, client_id: str, topics: Sequence[str]
) -> dict[tuple[str, int], int]:
    """The last stable offset of every partition of ``topics``."""
    partitions = [TopicPartition(*tp) for tp in await partitions_of(bootstrap, client_id, topics)]
    async with _reader(bootstrap, client_id) as consumer:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


async def read(
    bootstrap: str, client_id: str, partitions: Sequence[tuple[str, int]], until: Offsets
) -> AsyncIterator[Record]:
    """The committed records of each partition in turn, from its beginning up to ``until``."""
    if not partitions:
        return
    async with _reader(bootstrap, client_id) as consumer:
        assigned = [TopicPartition(*tp) for tp in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        for tp in assigned:
            end = until[(tp.topic, tp.partition)]
            while await consumer.position(tp) < end:
                batch = await consumer.getmany(tp, timeout_ms=FETCH_TIMEOUT_MS)
                for message in batch.get(tp, []):
                    if message.offset < end and message.value is not None:
                        yield to_record(message)
