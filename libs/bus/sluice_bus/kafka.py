"""The Kafka backend (aiokafka): idempotent ``acks=all`` producer, consumer groups, DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber, UnknownProducerId

from sluice_bus import kafka_outbox, kafka_replay
from sluice_bus.api import (
    Bus,
    Consumer,
    ConsumerOptions,
    Handler,
    Headers,
    Reader,
)
from sluice_bus.dispatch import Dispatcher
from sluice_bus.kafka_admin import ensure_topics
from sluice_bus.kafka_consumer import KafkaConsumer
from sluice_bus.kafka_send import producer_settings, send_encoded, send_event

log = logging.getLogger(__name__)

PRODUCER_BROKEN = (OutOfOrderSequenceNumber, UnknownProducerId)
"""An idempotent producer's sequence is lost (a batch expired in a long broker outage): its
sender has stopped for good, and every later send raises the same. Only a new producer (a
new producer id) publishes again."""
PROBE_S = 2.0
"""How often a started bus asks the cluster for metadata, to know whether it is reachable."""
PROBE_TIMEOUT_S = 5.0


class KafkaBus(Bus):
    """A service's connection to Kafka; ``start`` creates missing catalogue topics.

    Once started it probes the cluster every ``PROBE_S`` (a metadata request on the producer's
    client, which aiokafka answers False when no broker answers): ``connected`` is False and
    ``unreachable`` says why while the probe fails, so ``/readyz`` drops during an outage.
    """

    client_loggers = ("aiokafka",)

    def __init__(
        self, service: str, bootstrap: str, *, partitions: int = 3, client_id: str | None = None
    ) -> None:
        super().__init__(service)
        self._bootstrap = bootstrap
        self._partitions = partitions
        self._client_id = client_id or service
        self._producer: AIOKafkaProducer | None = None
        self._consumers: list[KafkaConsumer] = []
        self._probe: asyncio.Task[None] | None = None
        self._renewing = asyncio.Lock()
        self._resume_at: dict[str, dict[TopicPartition, int]] = {}
        """Per group, where its next consumer goes on after a settled outbox batch."""

    @property
    def partitions(self) -> int:
        """How many partitions the catalogue topics this bus creates get."""
        return self._partitions

    async def start(self) -> None:
        await ensure_topics(self._bootstrap, self._partitions, self._client_id)
        producer = AIOKafkaProducer(**producer_settings(self._bootstrap, self._client_id))
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # its client, so a start tried again leaks nothing
            raise
        self._producer = producer
        self._probe = asyncio.create_task(self._watch(), name="kafka-probe")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(PROBE_S)
            try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can lose stop()'s cancel
                async with asyncio.timeout(PROBE_TIMEOUT_S):
                    answered = await self._started().client.force_metadata_update()
            except TimeoutError:
                answered = False
            self.link_changed(None if answered else f"no Kafka broker of {self._bootstrap} answers")

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    @property
    def connected(self) -> bool:
        return (
            self._producer is not None
            and self.unreachable is None
            and all(c.healthy for c in self._consumers)
        )

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaBus is not started")
        return self._producer

    async def publish(
        self,
        topic: str,
        event: msgspec.Struct,
        *,
        key: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        async def send(producer: AIOKafkaProducer) -> None:
            await (await send_event(producer, self.service, topic, event, key=key, extra=headers))

        await self._send(send)

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: Headers = ()
    ) -> None:
        async def send(producer: AIOKafkaProducer) -> None:
            await producer.send_and_wait(topic, value, key=key, headers=list(headers))

        await self._send(send)

    async def _send(self, send: Callable[[AIOKafkaProducer], Awaitable[Any]]) -> None:
        """Send with the producer; once more with a new one if its sequence broke (the record
        was refused, not written: sending it again is no duplicate)."""
        producer = self._started()
        try:
            await send(producer)
        except PRODUCER_BROKEN as exc:
            await send(await self._renewed(producer, exc))

    async def _renewed(self, broken: AIOKafkaProducer, why: Exception) -> AIOKafkaProducer:
        """A new producer in place of ``broken`` (once, however many sends saw it break)."""
        async with self._renewing:
            if id(self._producer) == id(broken):  # not ``is``: mypy would narrow ``broken``
                log.warning("Kafka producer broken (%r): starting a new one", why)
                producer = AIOKafkaProducer(**producer_settings(self._bootstrap, self._client_id))
                await producer.start()
                self._producer = producer
                with contextlib.suppress(Exception):  # it is dead: stopping it may raise
                    await broken.stop()
        return self._started()

    async def settle_outbox(self, group: str, topic: str) -> None:
        async with kafka_replay.reader(self._bootstrap, self._client_id) as reader:
            batch = await kafka_outbox.last_batch(reader, topic, group)
        if batch is None or not await kafka_outbox.behind(self._bootstrap, self._client_id, batch):
            return
        log.warning(
            "group %s crashed within a batch: publishing its %d outputs again from %s",
            group,
            len(batch.outputs),
            topic,
        )
        producer = self._started()
        await asyncio.gather(*[await send_encoded(producer, output) for output in batch.outputs])
        self._resume_at[group] = {
            TopicPartition(p.topic, p.partition): p.offset for p in batch.positions
        }

    def _reader(self) -> contextlib.AbstractAsyncContextManager[Reader]:
        return kafka_replay.reader(self._bootstrap, self._client_id)

    async def consume(
        self,
        topics: Sequence[str],
        *,
        group: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Consumer:
        opts = options or ConsumerOptions()
        consumer = KafkaConsumer(
            bootstrap=self._bootstrap,
            client_id=self._client_id,
            service=self.service,
            topics=topics,
            group=group,
            dispatcher=Dispatcher(self.service, group, handler, opts, self.observer),
            options=opts,
            producer=self._started(),
            on_fatal=self.fail,
            resume_at=self._resume_at.pop(group, None) if opts.outbox else None,
        )
        await consumer.start()
        self._consumers.append(consumer)
        return consumer
