"""A Kafka consumer-group member: fetches records, runs them through the ``Dispatcher``, commits.

Records come in batches of at most ``ConsumerOptions.max_batch``; each record's outputs are
queued to the producer in order as soon as it is handled, and the batch's offsets are
committed once, at its end (or at a graceful stop, for what was handled so far), after every
queued output is durable. A crash redelivers at most one batch.
With ``ConsumerOptions.transactional`` a batch is one Kafka transaction: its outputs and its
offsets commit together or not at all (consume-transform-produce), so the offsets are sent
while the outputs are still in flight. Every consumer reads
``read_committed``: outputs of aborted transactions are never seen.

With ``ConsumerOptions.outbox`` the outputs are held until the batch is handled; then one
``OutboxBatch`` (the outputs, encoded once, and the batch's next offsets) goes to the outbox
topic, and only once it is acknowledged are the outputs published and, once they are, the
offsets committed. After a crash ``KafkaBus.settle_outbox`` publishes the last batch's outputs
again and hands its offsets to the group's next consumer (``resume_at``), which starts there.
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
from sluice_bus.kafka_send import encoded, producer_settings, queue_outputs, send_encoded
from sluice_proto.codec import encode
from sluice_proto.outbox import OutboxBatch, OutboxOutput, OutboxPosition

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 10.0
OUTBOX_BUDGET = 256 * 1024
"""Bytes of outputs one outbox record may hold before the batch ends early (the record is
JSON with base64 bytes, and must stay well below Kafka's 1 MB message limit)."""


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
        resume_at: dict[TopicPartition, int] | None = None,
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
        self._outbox = options.outbox
        self._held: list[OutboxOutput] = []
        """With an outbox: the current batch's outputs, published once its outbox record is in."""
        self._held_bytes = 0
        self._resume_at = dict(resume_at or {})
        """From ``settle_outbox``: where to go on in partitions whose commit is behind."""
        self._carried: dict[TopicPartition, int] = {}
        """``resume_at`` positions taken up but not yet committed: in the next outbox record
        and commit, so a crash before then settles them again."""
        self._start_at = dict(options.start_at or {})
        placing = self._start_at or self._resume_at
        self._gate = RebalanceGate(self._place if placing else None)
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
        """Start never-committed partitions at ``ConsumerOptions.start_at``, and partitions
        committed behind a settled outbox batch after that batch (``resume_at``)."""
        for tp in assigned:
            start = self._start_at.get((tp.topic, tp.partition))
            resume = self._resume_at.get(tp)
            if start is None and resume is None:
                continue
            committed = await self._consumer.committed(tp)
            if resume is not None and (committed is None or committed < resume):
                self._consumer.seek(tp, resume)
                self._carried[tp] = resume
            elif start is not None and committed is None:
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
            assigned = self._consumer.assignment()
            self._handled = {tp: at for tp, at in self._carried.items() if tp in assigned}
            self._sends, self._held, self._held_bytes = [], [], 0
            try:
                async with self._transaction():
                    await self._handle_records(batch)
                    await self._commit()
                self._carried.clear()
                if not self._stopping:
                    self._rewind(batch)
            except CommitFailedError:
                if self._txn_producer is not None or self._outbox is not None:
                    # The handler's state already holds this batch's decisions while their
                    # outputs were aborted (or are out with the offsets behind them): only a
                    # restart (outbox settled, state rebuilt from the log) is safe.
                    raise
                log.warning("group %s rebalanced mid-batch; it will be redelivered", self._group)

    async def _handle_records(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        for messages in batch.values():
            for message in messages:
                if self._stopping or self._full():  # commit what was handled so far
                    return
                await self._dispatcher.handle(to_record(message), self._finish)

    def _full(self) -> bool:
        """The outbox record of the batch so far is as large as it should get."""
        return self._held_bytes >= OUTBOX_BUDGET

    def _rewind(self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        """Fetch again the records of a batch that ended early (``_full``)."""
        for tp, messages in batch.items():
            handled = self._handled.get(tp, messages[0].offset)
            if handled <= messages[-1].offset:
                self._consumer.seek(tp, max(handled, messages[0].offset))

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[object]:
        if self._txn_producer is None:
            return contextlib.nullcontext()
        # aborted if the batch raises or is cancelled
        transaction: contextlib.AbstractAsyncContextManager[object] = (
            self._txn_producer.transaction()
        )
        return transaction

    async def _finish(self, record: Record, outputs: Sequence[Outgoing]) -> None:
        if self._outbox is not None:
            held = [encoded(self._service, o.topic, o.event, key=o.key) for o in outputs]
            self._held += held
            self._held_bytes += sum(len(output.value) for output in held)
        else:
            producer = self._txn_producer or self._producer
            self._sends += await queue_outputs(producer, self._service, outputs)
        self._handled[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _commit(self) -> None:
        if self._outbox is not None:
            await self._commit_through_outbox(self._outbox)
            return
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

    async def _commit_through_outbox(self, outbox: str) -> None:
        """The batch's outbox record, then its outputs, then its offsets, each durable before
        the next; a crash between any two is settled by ``KafkaBus.settle_outbox``."""
        if not self._handled:
            return
        if self._held:  # without outputs there is nothing to lose: the commit is enough
            batch = OutboxBatch(
                group=self._group,
                positions=[
                    OutboxPosition(topic=tp.topic, partition=tp.partition, offset=offset)
                    for tp, offset in self._handled.items()
                ],
                outputs=self._held,
            )
            await (await self._producer.send(outbox, encode(batch), key=self._group.encode()))
            self._sends = [await send_encoded(self._producer, output) for output in self._held]
            await asyncio.gather(*self._sends)
        await self._consumer.commit(self._handled)

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
