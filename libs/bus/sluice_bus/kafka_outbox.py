"""Settling a consumer group's outbox after a crash (``KafkaBus.settle_outbox``).

The outbox topic has one partition and one writer per group at a time, so the group's last
record there is its latest batch. Its outputs were published, or were about to be, before its
offsets were committed: if the group's committed offsets are behind the batch's, the crash
came in between, and the batch is finished by publishing its outputs again (the same bytes)
and starting the group after it. Outputs published twice are the same records: their readers
take them once (``client_order_id``, latest-wins changelogs; docs/risk.md).
"""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sluice_bus.kafka_replay import KafkaReader
from sluice_proto.codec import decode
from sluice_proto.outbox import OutboxBatch

WINDOW = 64
"""How many records at the end of the outbox are read first when looking for a group's last;
the window grows fourfold while the group's record is not in it (compaction keeps one per
group, so the topic stays short)."""


async def last_batch(reader: KafkaReader, topic: str, group: str) -> OutboxBatch | None:
    """``group``'s latest record in the outbox ``topic``; None if it has none."""
    ends = await reader.end_offsets([topic])
    if len(ends) > 1:
        raise ValueError(f"outbox topic {topic} must have one partition, not {len(ends)}")
    partition = TopicPartition(topic, 0)
    end = ends.get((topic, 0), 0)
    window = WINDOW
    while end > 0:
        start = max(end - window, 0)
        found: OutboxBatch | None = None
        async for record in reader.read_from(partition, start, end):
            if record.key == group.encode():
                event = decode(topic, record.value)
                assert isinstance(event, OutboxBatch)
                found = event
        if found is not None:
            return found
        end, window = start, window * 4
    return None


async def behind(bootstrap: str, client_id: str, batch: OutboxBatch) -> bool:
    """True if the group's committed offset of any partition of ``batch`` is behind it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{client_id}.outbox")
    try:
        await admin.start()
        partitions = [TopicPartition(p.topic, p.partition) for p in batch.positions]
        committed = await admin.list_consumer_group_offsets(batch.group, partitions=partitions)
    finally:
        await admin.close()
    done = {tp: meta.offset for tp, meta in committed.items()}
    return any(
        done.get(TopicPartition(p.topic, p.partition), -1) < p.offset for p in batch.positions
    )
