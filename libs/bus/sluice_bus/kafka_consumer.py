"""A Kafka consumer-group member: fetches records, runs them through the ``Dispatcher``, commits.

Records come in batches of at most ``ConsumerOptions.max_batch``; each record's outputs are
queued to the producer in order as soon as it is handled, and the batch's offsets are
committed once, at its end (or at a graceful stop, for what was handled so far), after every
queued output is durable. A crash redelivers at most one batch.
With ``ConsumerOptions.transactional`` a batch is one Kafka transaction: its outputs and its
offsets commit together or not at all (consume-transform-produce), so the offsets are sent
while the outputs are still in flight. Every consumer reads
``read_committed``: outputs of aborted transactions are never seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from sluice_bus.api import Consumer, ConsumerOptions, Outgoing, PartitionLag, Record
from sluice_bus.dispatch import Dispatcher
from sluice_bus.kafka_gate import RebalanceGate
from sluice_bus.kafka_send import producer_settings, queue_outputs

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 10.0


def to_record(message: ConsumerRecord[bytes, bytes]) -> Record:
    """The backend-neutral view of an aiokafka record."""
    return Record(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value if message.value is not None else b"",
        headers=tuple((name, value or b"") for name, value in message.headers),
        timestamp_ms=message.timestamp,
    )


class KafkaConsumer(Consumer):
    """One member of ``group``; ``producer`` publishes outputs when not transactional."""

    def __init__(
        self,
        *,
        bootstrap: str,
        client_id: str,
        service: str,
        topics: Sequence[str],
        group: str,
        dispatcher: Dispatcher,
        options: ConsumerOptions,
        producer: AIOKafkaProducer,
        on_fatal: Callable[[BaseException], None],
    ) -> None:
        self._service = service
        self._group = group
        self._topics = tuple(topics)
        self._dispatcher = dispatcher
        self._producer = producer
        self._on_fatal = on_fatal
        self._max_batch = options.max_batch
        self._handled: dict[TopicPartition, int] = {}
        """Next offset per partition of the records handled in the current batch."""
        self._lag: list[PartitionLag] = []
        """As measured after the last fetch (``lag`` must answer without awaiting)."""
        self._sends: list[asyncio.Future[Any]] = []
        """Acknowledgements of the current batch's outputs, awaited before its commit."""
        self._txn_producer: AIOKafkaProducer | None = None
        self._start_at = dict(options.start_at or {})
        self._gate = RebalanceGate(self._place if self._start_at else None)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if options.from_beginning else "latest",
            isolation_level="read_committed",
            heartbeat_interval_ms=1000,
            group_instance_id=options.instance,
            **dict(options.extra),
        )
        if options.transactional:
            # Unique per member: aiokafka lacks KIP-447, so fencing relies on the group
            # generation check before commit plus downstream de-duplication.
            self._txn_producer = AIOKafkaProducer(
                **producer_settings(bootstrap, client_id),
                transactional_id=f"{service}.{group}.{uuid.uuid4().hex[:12]}",
            )
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._idle = False
        self.failed: BaseException | None = None

    @property
    def partitions(self) -> frozenset[tuple[str, int]]:
        if self._gate.rebalancing:
            return frozenset()
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    async def start(self) -> None:
        """Join the group and start the fetch loop."""
        if self._txn_producer is not None:
            await self._txn_producer.start()
        self._consumer.subscribe(self._topics, listener=self._gate)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"kafka-consumer-{self._group}")

    async def _place(self, assigned: set[TopicPartition]) -> None:
        """Start never-committed partitions at ``ConsumerOptions.start_at``."""
        for tp in assigned:
            start = self._start_at.get((tp.topic, tp.partition))
            if start is not None and await self._consumer.committed(tp) is None:
                self._consumer.seek(tp, start)

    async def _run(self) -> None:
        try:
            while not self._stopping:
                self._idle = True
                batch = await self._consumer.getmany(timeout_ms=1000, max_records=self._max_batch)
                self._idle = False
                await self._handle_batch(batch)
                await self._measure_lag()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the member is dead: the service must restart
            log.exception("consumer of group %s failed", self._group)
            self.failed = exc
            self._on_fatal(exc)

    def lag(self) -> list[PartitionLag]:
        return self._lag

    async def _measure_lag(self) -> None:
        """The last stable offset (the end a ``read_committed`` reader can reach, as of the
        last fetch) minus the position; a transaction's commit marker may count as one."""
        lag = []
        for tp in sorted(self._consumer.assignment()):
            end = self._consumer.last_stable_offset(tp)
            if end is None:
                continue
            with contextlib.suppress(IllegalStateError):  # revoked meanwhile
                position = await self._consumer.position(tp)
                lag.append(PartitionLag(self._group, tp.topic, tp.partition, end - position))
        self._lag = lag

    async def _handle_batch(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        if not batch:
            return
        generation = self._gate.generation
        # The gate is held for the whole batch, so partitions change hands only between
        # batches, after their offsets are committed.
        async with self._gate.handling():
            # A rebalance resets positions to the committed offsets: a batch fetched under an
            # older assignment will be fetched again by whoever owns the partition now.
            if generation != self._gate.generation:
                return
            self._handled, self._sends = {}, []
            try:
                async with self._transaction():
                    await self._handle_records(batch)
                    await self._commit()
            except CommitFailedError:
                if self._txn_producer is not None:
                    # The handler's state already holds this batch's decisions while their
                    # outputs were aborted: only a restart (state rebuilt from the log) is safe.
                    raise
                log.warning("group %s rebalanced mid-batch; it will be redelivered", self._group)

    async def _handle_records(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        for messages in batch.values():
            for message in messages:
                if self._stopping:  # graceful stop: commit what was handled so far
                    return
                await self._dispatcher.handle(to_record(message), self._finish)

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[object]:
        if self._txn_producer is None:
            return contextlib.nullcontext()
        # aborted if the batch raises or is cancelled
        transaction: contextlib.AbstractAsyncContextManager[object] = (
            self._txn_producer.transaction()
        )
        return transaction

    async def _finish(self, record: Record, outputs: Sequence[Outgoing]) -> None:
        producer = self._txn_producer or self._producer
        self._sends += await queue_outputs(producer, self._service, outputs)
        self._handled[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _commit(self) -> None:
        if self._txn_producer is None:
            await asyncio.gather(*self._sends)  # outputs durable before the offsets move
            if self._handled:
                await self._consumer.commit(self._handled)
            return
        # In a transaction the outputs and the offsets commit together or not at all, so the
        # offsets need not wait for the outputs' acks: both travel at once (docs/e2e.md).
        offsets = (
            [self._txn_producer.send_offsets_to_transaction(self._handled, self._group)]
            if self._handled
            else []
        )
        await asyncio.gather(*self._sends, *offsets)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None and not self._task.done():  # not already aborted
            if self._idle:  # waiting for records: nothing in hand to finish
                self._task.cancel()
            else:
                try:
                    await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_TIMEOUT_S)
                except TimeoutError:
                    self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()

    async def abort(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()

    async def _close(self) -> None:
        # aiokafka's stop() is idempotent, so stop() after abort() is harmless.
        await self._consumer.stop()
        if self._txn_producer is not None:
            await self._txn_producer.stop()

    @property
    def healthy(self) -> bool:
        """False once the fetch loop has died."""
        return self.failed is None
