"""The bus port: what every service codes against, whatever the backend."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from sluice_bus.partitioning import partition_for
from sluice_proto.codec import EventDecodeError, decode

log = logging.getLogger(__name__)

E = TypeVar("E")

Headers = tuple[tuple[str, bytes], ...]
TopicPartition = tuple[str, int]
Offsets = Mapping[TopicPartition, int]
"""An offset per ``(topic, partition)``: where a replay stops, or where a new group starts."""


@dataclass(frozen=True, slots=True)
class Record:
    """A record as the log holds it: bytes, coordinates and headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> str | None:
        """The last value of a header, decoded as UTF-8, or None."""
        for key, value in reversed(self.headers):
            if key == name:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class Message(Generic[E]):
    """A decoded event handed to a handler, with the record it came from."""

    event: E
    record: Record


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event a handler wants published once it has succeeded."""

    topic: str
    event: msgspec.Struct
    key: str | None


HandlerResult = Sequence[Outgoing] | None
Handler = Callable[[Message[Any]], Awaitable[HandlerResult]]


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """How a consumer handles failure and where it starts.

    ``max_attempts`` bounds handler retries (exponential backoff from ``backoff_initial_s`` up
    to ``backoff_max_s``) before the record goes to the dead-letter topic. With
    ``transactional`` the handler's outputs and its offset commit are atomic (Kafka
    transactions); otherwise outputs are published, then the offset is committed.
    ``max_batch`` bounds how many records one commit (one transaction) covers on Kafka: a crash
    redelivers at most that many handled records; the in-memory bus commits every record.
    ``start_at`` is where the group starts on a listed partition it has never committed,
    instead of ``from_beginning``: pass the ``until`` of a ``Bus.replay`` to go on live exactly
    where the replay stopped.
    """

    max_attempts: int = 3
    backoff_initial_s: float = 0.05
    backoff_max_s: float = 2.0
    from_beginning: bool = True
    start_at: Offsets | None = None
    transactional: bool = False
    max_batch: int = 100
    extra: Mapping[str, Any] = field(default_factory=dict)
    instance: str | None = None
    """A name of this member that stays the same across restarts, for a group with one member
    per name (Kafka's static membership, KIP-345): a member restarted after a crash takes the
    dead one's place at once, where an anonymous member waits until the dead one's session
    times out (10 s). A second live member with the same name fences the first (it fails).
    A stopping member does not leave the group. The in-memory bus ignores it."""
    outbox: str | None = None
    """An outbox topic (one partition, compacted; not with ``transactional``): per batch, the
    handler's outputs and the next offsets go there first, then the outputs are published,
    then the offsets committed, each acknowledged before the next. After a crash,
    ``Bus.settle_outbox`` publishes the last batch's outputs again (byte for byte) and the
    group goes on after it: no output is lost and no record decided twice, without a Kafka
    transaction, for a group with one active member (nothing fences an old one). The
    in-memory bus ignores it: it appends a record's outputs and commits its offset with no
    await in between, so there is no crash window to cover."""

    def __post_init__(self) -> None:
        if self.outbox is not None and self.transactional:
            raise ValueError("ConsumerOptions: outbox and transactional exclude each other")


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """How many records of one partition a consumer group has yet to handle."""

    group: str
    topic: str
    partition: int
    records: int


class DeliveryObserver(Protocol):
    """Told each record's outcome once it is finished (e.g. the runtime's Prometheus counters)."""

    def handled(self, topic: str, group: str) -> None:
        """The handler succeeded and the record's outputs were published."""

    def dead_lettered(self, topic: str, group: str, kind: str) -> None:
        """The record went to the dead-letter topic (``kind`` as in ``DeadLetter.kind``)."""


class LinkObserver(Protocol):
    """Told when the backend becomes unreachable and when it is back (e.g. an ``OutageLog``)."""

    def link_down(self, reason: str) -> None:
        """The backend cannot be reached; ``reason`` says why."""

    def link_up(self) -> None:
        """The backend answers again."""


class Consumer(abc.ABC):
    """A running consumer-group member."""

    @property
    @abc.abstractmethod
    def partitions(self) -> frozenset[tuple[str, int]]:
        """The ``(topic, partition)`` pairs this member owns right now (empty mid-rebalance)."""

    @abc.abstractmethod
    def lag(self) -> list[PartitionLag]:
        """Per owned partition, the records between this member's position and the log's end
        (as last seen; a partition not yet fetched is left out)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Finish the record in hand, commit what was handled, leave the group."""

    @abc.abstractmethod
    async def abort(self) -> None:
        """Stop at once without committing (what a crash looks like to the group)."""


class Bus(abc.ABC):
    """Publish events and consume them in consumer groups; one per service process."""

    client_loggers: tuple[str, ...] = ()
    """The loggers of the client library under the backend (what it logs while unreachable)."""

    def __init__(self, service: str) -> None:
        self.service = service
        # Set before ``consume``; consumers pass it to their ``Dispatcher``.
        self.observer: DeliveryObserver | None = None
        self.link_observer: LinkObserver | None = None
        self.failure: BaseException | None = None
        self.unreachable: str | None = None
        """Why the backend cannot be reached right now; None while it can (or is not known
        to be unreachable)."""
        self._failed = asyncio.Event()

    def link_changed(self, problem: str | None) -> None:
        """The backend became unreachable (``problem`` says why) or reachable again (None);
        the ``link_observer`` hears of each change once."""
        was, self.unreachable = self.unreachable, problem
        observer = self.link_observer
        if observer is None or (was is None) == (problem is None):
            return
        if problem is None:
            observer.link_up()
        else:
            observer.link_down(problem)

    def fail(self, error: BaseException) -> None:
        """A consumer cannot go on (e.g. a transaction that did not commit): the service's
        in-memory state may be ahead of the log, so the process must restart and rebuild it."""
        if self.failure is None:
            self.failure = error
        self._failed.set()

    async def wait_failed(self) -> BaseException:
        """Return the first fatal consumer error, once there is one."""
        await self._failed.wait()
        assert self.failure is not None
        return self.failure

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect; create the catalogue's topics if they are missing."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop every consumer gracefully (committing what was handled), then disconnect."""

    @property
    @abc.abstractmethod
    def connected(self) -> bool:
        """True while the backend is usable (drives ``/readyz``)."""

    @abc.abstractmethod
    async def publish(
        self,
        topic: str,
        event: msgspec.Struct,
        *,
        key: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Publish one event and wait until the backend has it durably (``acks=all``)."""

    @abc.abstractmethod
    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: Headers = ()
    ) -> None:
        """Publish bytes as they are (dead letters, foreign producers, tests)."""

    async def settle_outbox(self, group: str, topic: str) -> None:
        """Finish ``group``'s last batch in the outbox ``topic`` if a crash interrupted it:
        publish its outputs again and make the group's next consumer start after it.

        Call it before anything reads those outputs back (e.g. a changelog replay) and before
        ``consume(group=group, options=ConsumerOptions(outbox=topic))``; no member of the
        group may be running. A backend without a crash window between a record's outputs
        and its offset (the in-memory bus) has nothing to do.
        """
        return

    @abc.abstractmethod
    async def consume(
        self,
        topics: Sequence[str],
        *,
        group: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Consumer:
        """Join ``group`` on ``topics`` and run ``handler`` for each event until stopped."""

    _consumers: Sequence[Consumer]
    """The consumers this bus started and has not stopped (each backend keeps its own)."""

    def lag(self) -> list[PartitionLag]:
        """The consumer lag of every running consumer of this bus (for ``/metrics``)."""
        return [lag for consumer in self._consumers for lag in consumer.lag()]

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """Per partition of ``topics``, the offset after the last decided record right now.

        On Kafka that is the last stable offset (``read_committed``): records of transactions
        still open lie beyond it. In memory it is the length of the partition.
        """
        async with self._reader() as reader:
            return await reader.end_offsets(topics)

    def replay(
        self, topics: Sequence[str], *, until: Offsets | None = None, key: str | None = None
    ) -> AsyncIterator[Message[Any]]:
        """Every event of ``topics`` before ``until``, decoded as handlers get them, then stop.

        ``until`` defaults to ``end_offsets(topics)`` taken when the iteration starts, so what
        is published after that is not included; partitions it does not list are not read.
        With ``key``, only the partition a record with that key goes to is read in each topic
        (e.g. one account's order events): the others cannot hold it. Topics come in the order
        given, each partition by partition in log order. Only committed records are replayed
        (aborted transactions never); undecodable records (already dead-lettered by live
        consumers) and tombstones are skipped. No consumer group is involved: nothing is
        committed and no group's offsets move. One reader does all of it (on Kafka, one
        client: the bounds and the records).
        """
        return self._replay(topics, until, key)

    async def _replay(
        self, topics: Sequence[str], until: Offsets | None, key: str | None
    ) -> AsyncIterator[Message[Any]]:
        async with self._reader() as reader:
            ends = await reader.end_offsets(topics) if until is None or key else {}
            bounds = dict(until) if until is not None else ends
            if key is not None:
                bounds = {tp: end for tp, end in bounds.items() if tp in keyed(ends, key)}
            partitions = [
                (topic, number)
                for topic in dict.fromkeys(topics)
                for t, number in sorted(bounds)
                if t == topic and bounds[(t, number)] > 0
            ]
            async for record in reader.read(partitions, bounds):
                message = replayed(record)
                if message is not None:
                    yield message

    @abc.abstractmethod
    def _reader(self) -> contextlib.AbstractAsyncContextManager[Reader]:
        """A reader of the backend's logs for one replay (or one ``end_offsets``)."""


class Reader(Protocol):
    """Reads partitions outside any consumer group: what ``Bus.replay`` runs on."""

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """The offset after the last decided record of every partition of ``topics``."""
        ...

    def read(self, partitions: Sequence[TopicPartition], until: Offsets) -> AsyncIterator[Record]:
        """The committed records of each partition, in the order given, up to ``until``."""
        ...


def keyed(ends: Offsets, key: str) -> set[TopicPartition]:
    """The partition of each topic in ``ends`` that a record with ``key`` goes to."""
    counts: dict[str, int] = {}
    for topic, _ in ends:
        counts[topic] = counts.get(topic, 0) + 1
    return {(topic, partition_for(key.encode(), count)) for topic, count in counts.items()}


def replayed(record: Record) -> Message[Any] | None:
    """A replayed record as a handler would get it; None for tombstones and bad records."""
    if not record.value:  # a compaction tombstone
        return None
    try:
        event = decode(record.topic, record.value)
    except EventDecodeError as exc:
        log.warning(
            "skipping undecodable record %s/%d@%d in a replay: %s",
            record.topic,
            record.partition,
            record.offset,
            exc,
        )
        return None
    return Message(event, record)
