"""The in-memory backend: Kafka's semantics in one process (the embedded default).

Partitions by key, per-partition ordering, consumer groups with partition assignment and
committed offsets, headers and the same dispatch (retries, DLQ, tracing) as Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from sluice_bus.api import (
    Bus,
    Consumer,
    ConsumerOptions,
    Handler,
    Headers,
    Offsets,
    Outgoing,
    PartitionLag,
    Reader,
    Record,
    TopicPartition,
)
from sluice_bus.dispatch import Dispatcher
from sluice_bus.envelope import outgoing_headers, publish_span
from sluice_bus.partitioning import partition_for
from sluice_proto.codec import encode


class MemoryBroker:
    """The shared log of one process; give each service its own ``MemoryBus`` on it."""

    def __init__(self, partitions: int = 3) -> None:
        self.partitions = partitions
        self._logs: dict[str, list[list[Record]]] = {}
        self._committed: dict[tuple[str, TopicPartition], int] = {}
        self._groups: dict[str, list[_MemoryConsumer]] = {}
        self._changed = asyncio.Event()

    def log(self, topic: str) -> list[list[Record]]:
        """The partitions of a topic, created on first use."""
        return self._logs.setdefault(topic, [[] for _ in range(self.partitions)])

    def append(self, topic: str, value: bytes, key: bytes | None, headers: Headers) -> Record:
        """Append a record to the partition its key selects and wake consumers."""
        partitions = self.log(topic)
        number = partition_for(key, len(partitions))
        record = Record(
            topic, number, len(partitions[number]), key, value, headers, int(time.time() * 1000)
        )
        partitions[number].append(record)
        self._wake()
        return record

    def records(self, topic: str) -> list[Record]:
        """Every record of a topic, partition by partition (for tests and tools)."""
        return [record for partition in self.log(topic) for record in partition]

    def committed(self, group: str, tp: TopicPartition) -> int | None:
        """The group's next offset for a partition, if it ever committed."""
        return self._committed.get((group, tp))

    def commit(self, group: str, tp: TopicPartition, next_offset: int) -> None:
        """Record that the group has handled everything before ``next_offset``."""
        self._committed[(group, tp)] = next_offset

    async def wait_for_change(self) -> None:
        """Sleep until something is appended or the group membership changes."""
        await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def join(self, member: _MemoryConsumer) -> None:
        self._groups.setdefault(member.group, []).append(member)
        self._rebalance(member.group)

    def leave(self, member: _MemoryConsumer) -> None:
        members = self._groups.get(member.group, [])
        if member in members:
            members.remove(member)
            self._rebalance(member.group)

    def _rebalance(self, group: str) -> None:
        members = self._groups.get(group, [])
        for member in members:
            member.assignment.clear()
        topics = sorted({topic for member in members for topic in member.topics})
        for topic in topics:
            takers = [member for member in members if topic in member.topics]
            for number in range(len(self.log(topic))):
                takers[number % len(takers)].assignment.add((topic, number))
        for member in members:
            member.positions.clear()
        self._wake()


_member_ids = itertools.count()


@dataclass(eq=False)
class _MemoryConsumer(Consumer):
    broker: MemoryBroker
    bus: MemoryBus
    group: str
    topics: frozenset[str]
    dispatcher: Dispatcher
    options: ConsumerOptions
    member_id: int = field(default_factory=lambda: next(_member_ids))
    assignment: set[TopicPartition] = field(default_factory=set)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    stopping: bool = False

    @property
    def partitions(self) -> frozenset[TopicPartition]:
        return frozenset(self.assignment)

    def start(self) -> None:
        self.broker.join(self)
        self.task = asyncio.create_task(self._run(), name=f"memory-consumer-{self.group}")

    def _position(self, tp: TopicPartition) -> int:
        if tp not in self.positions:
            committed = self.broker.committed(self.group, tp)
            start_at = self.options.start_at or {}
            if committed is None and tp in start_at:
                committed = start_at[tp]
            elif committed is None:
                committed = 0 if self.options.from_beginning else len(self.broker.log(tp[0])[tp[1]])
            self.positions[tp] = committed
        return self.positions[tp]

    async def _run(self) -> None:
        while not self.stopping:
            progressed = False
            for tp in sorted(self.assignment):
                if self.stopping or tp not in self.assignment:
                    break
                position = self._position(tp)
                partition = self.broker.log(tp[0])[tp[1]]
                if position < len(partition):
                    await self.dispatcher.handle(partition[position], self._finish)
                    if tp in self.positions:
                        self.positions[tp] = position + 1
                    progressed = True
            if not progressed and not self.stopping:
                await self.broker.wait_for_change()

    def lag(self) -> list[PartitionLag]:
        return [
            PartitionLag(self.group, topic, number, len(self.broker.log(topic)[number]) - position)
            for (topic, number), position in sorted(self.positions.items())
        ]

    async def _finish(self, record: Record, outputs: Sequence[Outgoing]) -> None:
        # Appends and the commit happen without an await between them, so a crash
        # (task cancellation) sees all of them or none: the in-memory transaction.
        for out in outputs:
            self.bus.append_event(out.topic, out.event, out.key)
        self.broker.commit(self.group, (record.topic, record.partition), record.offset + 1)

    async def stop(self) -> None:
        self.stopping = True
        self.broker._wake()
        if self.task is not None and not self.task.done():  # not already aborted
            try:
                await asyncio.wait_for(asyncio.shield(self.task), timeout=10)
            except TimeoutError:
                self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.broker.leave(self)

    async def abort(self) -> None:
        self.stopping = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.broker.leave(self)


class MemoryBus(Bus):
    """A service's view of a ``MemoryBroker``."""

    def __init__(self, broker: MemoryBroker, service: str) -> None:
        super().__init__(service)
        self.broker = broker
        self._consumers: list[_MemoryConsumer] = []
        self._started = False

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        for consumer in list(self._consumers):
            await consumer.stop()
        self._consumers.clear()
        self._started = False

    @property
    def connected(self) -> bool:
        return self._started

    def append_event(
        self,
        topic: str,
        event: msgspec.Struct,
        key: str | None,
        extra: Mapping[str, str] | None = None,
    ) -> Record:
        """Synchronous publish (used inside the in-memory transaction)."""
        key_bytes = key.encode() if key is not None else None
        with publish_span(topic):
            headers = outgoing_headers(event, self.service, extra)
            return self.broker.append(topic, encode(event), key_bytes, headers)

    async def publish(
        self,
        topic: str,
        event: msgspec.Struct,
        *,
        key: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.append_event(topic, event, key, headers)

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: Headers = ()
    ) -> None:
        self.broker.append(topic, value, key, headers)

    @contextlib.asynccontextmanager
    async def _reader(self) -> AsyncIterator[Reader]:
        yield _MemoryReader(self.broker)

    async def consume(
        self,
        topics: Sequence[str],
        *,
        group: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Consumer:
        opts = options or ConsumerOptions()
        consumer = _MemoryConsumer(
            broker=self.broker,
            bus=self,
            group=group,
            topics=frozenset(topics),
            dispatcher=Dispatcher(self.service, group, handler, opts, self.observer),
            options=opts,
        )
        consumer.start()
        self._consumers.append(consumer)
        return consumer


@dataclass(frozen=True, slots=True)
class _MemoryReader:
    """The broker's logs as ``Bus.replay`` reads them."""

    broker: MemoryBroker

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        return {
            (topic, number): len(partition)
            for topic in topics
            for number, partition in enumerate(self.broker.log(topic))
        }

    async def read(
        self, partitions: Sequence[TopicPartition], until: Offsets
    ) -> AsyncIterator[Record]:
        # The log holds only committed records: the in-memory transaction is all-or-nothing.
        for topic, number in partitions:
            for record in self.broker.log(topic)[number][: until[(topic, number)]]:
                yield record
