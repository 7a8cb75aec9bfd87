"""The client's Kafka plumbing (aiokafka): a durable producer and group-less tail readers.

The client never joins a consumer group: a strategy only watches, so it reads the partitions
it needs from their current end (``read_committed``, as the services write in transactions)
and moves no one's offsets.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.partitioner import murmur2

from sluice_client.errors import BrokerUnavailableError, TopicMissingError
from sluice_proto.codec import contract_headers, encode


def record_headers(event: msgspec.Struct, producer: str) -> list[tuple[str, bytes]]:
    """The contract's headers for one publish (a fresh event id each time).

    No ``traceparent``: the client carries no tracing SDK, and consumers start a new trace
    for a record without one.
    """
    return [(name, value.encode()) for name, value in contract_headers(event, producer).items()]


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a keyed record (murmur2)."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def unreachable(bootstrap: str) -> BrokerUnavailableError:
    """The one-line error for a broker that does not answer."""
    return BrokerUnavailableError(f"no Kafka broker answers at {bootstrap}")


async def start_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """A started idempotent ``acks=all`` producer (``BrokerUnavailableError``: none answers)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, enable_idempotence=True, acks="all"
    )
    try:
        await producer.start()
    except KafkaConnectionError:
        await producer.stop()
        raise unreachable(bootstrap) from None
    return producer


async def send(
    producer: AIOKafkaProducer, topic: str, event: msgspec.Struct, key: str, producer_name: str
) -> None:
    """Publish one event and wait until the cluster has it durably."""
    await producer.send_and_wait(
        topic, encode(event), key=key.encode(), headers=record_headers(event, producer_name)
    )


@contextlib.asynccontextmanager
async def reader(bootstrap: str, client_id: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A started group-less ``read_committed`` consumer with nothing assigned yet."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        await consumer.start()
    except KafkaConnectionError:
        await consumer.stop()
        raise unreachable(bootstrap) from None
    try:
        yield consumer
    finally:
        await consumer.stop()


async def partitions(
    producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, topic: str
) -> list[TopicPartition]:
    """Every partition of ``topic``; ``TopicMissingError`` when the stack has not created it."""
    if topic not in await consumer.topics():  # asked first: a missing topic answers at once
        raise TopicMissingError(f"topic {topic} does not exist: start Sluice on this cluster first")
    numbers = await producer.partitions_for(topic)
    return [TopicPartition(topic, number) for number in sorted(numbers)]


async def assign_from_end(consumer: AIOKafkaConsumer, assigned: Sequence[TopicPartition]) -> None:
    """Read ``assigned`` from their current end: only what is published from now on."""
    consumer.assign(list(assigned))
    await consumer.seek_to_end(*assigned)
    for tp in assigned:
        await consumer.position(tp)  # fixes the position now, before anything is published


async def read_until(
    consumer: AIOKafkaConsumer, tp: TopicPartition, end: int
) -> AsyncIterator[Any]:
    """The records of one partition from its beginning up to (not including) ``end``."""
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=500)
        for message in batch.get(tp, []):
            if message.offset < end:
                yield message
