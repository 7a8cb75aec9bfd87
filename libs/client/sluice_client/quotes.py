"""A quote subscription: ``MdSubscribe`` on entry, the instrument's quotes, ``MdUnsubscribe``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from types import TracebackType

from aiokafka import AIOKafkaConsumer, TopicPartition

from sluice_client import kafka
from sluice_client.errors import SubscriptionRejectedError
from sluice_proto import Instrument, MdSubscribe, MdSubscriptionRejected, MdUnsubscribe, Quote
from sluice_proto.codec import EventDecodeError, decode
from sluice_proto.topics import MD_QUOTES

Publish = Callable[[MdSubscribe | MdUnsubscribe], Awaitable[None]]
Partitions = Callable[[AIOKafkaConsumer, str], Awaitable[list[TopicPartition]]]


class QuoteStream:
    """The quotes of one instrument while subscribed.

    Use ``async with client.quotes(...) as stream: async for quote in stream`` to unsubscribe
    the moment the block ends; a bare ``async for`` subscribes on its first step and is
    unsubscribed when the client closes. A refusal by market-data raises
    ``SubscriptionRejectedError``.
    """

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        instrument: Instrument,
        *,
        subscriber_id: str,
        publish: Publish,
        partitions: Partitions,
        on_close: Callable[[QuoteStream], None],
    ) -> None:
        self.instrument = instrument
        self.subscriber_id = subscriber_id
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._publish = publish
        self._partitions = partitions
        self._on_close = on_close
        self._stack: AsyncExitStack | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def open(self) -> None:
        """Start reading the instrument's partition from its end, then subscribe."""
        if self._stack is not None:
            return
        async with AsyncExitStack() as stack:
            consumer = await stack.enter_async_context(
                kafka.reader(self._bootstrap, f"{self._client_id}.quotes")
            )
            every = await self._partitions(consumer, MD_QUOTES)
            mine = TopicPartition(MD_QUOTES, kafka.partition_for(self.instrument.key, len(every)))
            await kafka.assign_from_end(consumer, [mine])
            await self._publish(
                MdSubscribe(subscriber_id=self.subscriber_id, instrument=self.instrument)
            )
            self._consumer, self._stack = consumer, stack.pop_all()

    async def close(self) -> None:
        """Unsubscribe and stop reading (idempotent)."""
        if self._stack is None:
            return
        stack, self._stack, self._consumer = self._stack, None, None
        self._on_close(self)
        try:
            await self._publish(
                MdUnsubscribe(subscriber_id=self.subscriber_id, instrument=self.instrument)
            )
        finally:
            await stack.aclose()

    async def __aenter__(self) -> QuoteStream:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> QuoteStream:
        return self

    async def __anext__(self) -> Quote:
        await self.open()
        if self._consumer is None:
            raise StopAsyncIteration  # closed
        while True:
            message = await self._consumer.getone()
            if message.value is None:
                continue
            try:
                event = decode(MD_QUOTES, message.value)
            except EventDecodeError:
                continue  # dead-lettered by the services; nothing for a strategy
            if event.instrument.key != self.instrument.key:
                continue  # another instrument on the same partition
            if isinstance(event, Quote):
                return event
            if isinstance(event, MdSubscriptionRejected) and (
                event.subscriber_id == self.subscriber_id
            ):
                raise SubscriptionRejectedError(event.reason_code, event.message, event.candidates)
