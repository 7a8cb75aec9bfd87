"""Reading Kafka partitions up to a bound, outside any consumer group (``Bus.replay``).

One group-less consumer per replay does everything: the partitions (one metadata request),
the end offsets and the records. It reads ``read_committed``, so records of aborted
transactions are never returned and the end offsets are last stable offsets. Progress is
measured with ``position()``, which moves past transaction markers that no record ever reports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from sluice_bus.api import Offsets, Record
from sluice_bus.kafka_consumer import to_record

FETCH_TIMEOUT_MS = 1000


@contextlib.asynccontextmanager
async def reader(bootstrap: str, client_id: str) -> AsyncIterator[KafkaReader]:
    """A reader whose consumer is made on first use (a replay of nothing connects nowhere);
    stopped on exit."""
    kafka_reader = KafkaReader(bootstrap, client_id)
    try:
        yield kafka_reader
    finally:
        await kafka_reader.close()


class KafkaReader:
    """``Bus.replay``'s reads on one consumer."""

    def __init__(self, bootstrap: str, client_id: str) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._consumer: AIOKafkaConsumer | None = None

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            # a failed start is stopped too (``close``): it may have opened a client
            self._consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                client_id=f"{self._client_id}.replay",
                group_id=None,
                enable_auto_commit=False,
                isolation_level="read_committed",
                auto_offset_reset="earliest",
            )
            await self._consumer.start()
        return self._consumer

    async def close(self) -> None:
        """Stop the consumer, if one was made."""
        if self._consumer is not None:
            # aiokafka's group-less coordinator starts a task at the end of ``start``; cancelled
            # before its first step, ``stop`` raises its CancelledError: let it step first.
            await asyncio.sleep(0)
            await self._consumer.stop()

    async def end_offsets(self, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        """The last stable offset of every partition of ``topics`` (none of an unknown one)."""
        # One metadata request on this consumer's own client, where an admin client would be
        # one more connection to start; the consumer has no public call for it.
        consumer = await self._started()
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, number)
            for topic in topics
            for number in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    async def read(
        self, partitions: Sequence[tuple[str, int]], until: Offsets
    ) -> AsyncIterator[Record]:
        """The committed records of each partition in turn, from its beginning up to
        ``until``."""
        if not partitions:
            return
        consumer = await self._started()
        assigned = [TopicPartition(*tp) for tp in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        for tp in assigned:
            async for record in _until(consumer, tp, until[(tp.topic, tp.partition)]):
                yield record

    async def read_from(
        self, partition: TopicPartition, start: int, end: int
    ) -> AsyncIterator[Record]:
        """The committed records of one partition from ``start`` (or its first record, if
        that is gone) up to ``end``."""
        consumer = await self._started()
        consumer.assign([partition])
        consumer.seek(partition, start)
        async for record in _until(consumer, partition, end):
            yield record


async def _until(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> AsyncIterator[Record]:
    """The records of ``tp`` from the consumer's position up to ``end``."""
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=FETCH_TIMEOUT_MS)
        for message in batch.get(tp, []):
            if message.offset < end and message.value is not None:
                yield to_record(message)
