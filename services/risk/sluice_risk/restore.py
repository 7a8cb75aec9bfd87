"""Reading topics from the beginning up to their current end: how risk gets its state back.

The bus port consumes forever; a restart needs "everything committed so far, then stop". One
reader per backend: the in-memory log as it is, or Kafka read ``read_committed`` up to the
last stable offset of every partition (records of open or aborted transactions are skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sluice_bus.memory import MemoryBroker
from sluice_proto.codec import EventDecodeError, decode

log = logging.getLogger(__name__)


class TopicReader(Protocol):
    """Every committed event of the topics, partition by partition, in log order."""

    async def read(self, topics: Sequence[str]) -> list[Any]: ...


def _decoded(topic: str, value: bytes | None, where: str) -> Any | None:
    if value is None:  # a compaction tombstone
        return None
    try:
        return decode(topic, value)
    except EventDecodeError as exc:  # already dead-lettered by whoever consumed it live
        log.warning("skipping undecodable record %s while restoring: %s", where, exc)
        return None


class MemoryTopicReader:
    """The in-memory log holds only committed records: read it as it is."""

    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    async def read(self, topics: Sequence[str]) -> list[Any]:
        events = (
            _decoded(r.topic, r.value, f"{r.topic}/{r.partition}@{r.offset}")
            for topic in topics
            for r in self._broker.records(topic)
        )
        return [event for event in events if event is not None]


class KafkaTopicReader:
    """A group-less ``read_committed`` consumer assigned every partition of the topics."""

    def __init__(self, bootstrap: str, client_id: str) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id

    async def read(self, topics: Sequence[str]) -> list[Any]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}.restore",
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        partitions = await self._partitions(topics)
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            # Under read_committed this is the last stable offset: the end of what is decided.
            ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
            events: list[Any] = []
            pending = {tp for tp in partitions if ends[tp] > 0}
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batch.items():
                    for r in records:
                        if r.offset < ends[tp]:
                            event = _decoded(
                                tp.topic, r.value, f"{tp.topic}/{tp.partition}@{r.offset}"
                            )
                            if event is not None:
                                events.append(event)
                # position() moves past transaction markers, which no record ever reports.
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
            return events
        finally:
            await consumer.stop()

    async def _partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
        await admin.start()
        try:
            described = await admin.describe_topics(list(topics))
        finally:
            await admin.close()
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]
