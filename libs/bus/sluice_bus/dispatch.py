"""One record through a handler: decode, trace, retry with backoff, dead-letter.

Both backends run every record through ``Dispatcher.handle`` so their delivery semantics are
the same by construction; they differ only in how records are fetched and offsets committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import msgspec
from opentelemetry import context, propagate, trace
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from sluice_bus.api import (
    ConsumerOptions,
    DeliveryObserver,
    Handler,
    Message,
    Outgoing,
    Record,
)
from sluice_bus.envelope import headers_as_text
from sluice_proto.codec import EventDecodeError, decode
from sluice_proto.dlq import DeadLetter, DeadLetterKind
from sluice_proto.topics import DLQ

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("sluice.bus")

Finish = Callable[[Record, Sequence[Outgoing]], Awaitable[None]]
"""The backend's step after a record: publish its outputs, then commit past it."""


def dead_letter(
    record: Record, kind: DeadLetterKind, error: str, service: str, attempts: int
) -> Outgoing:
    """The DLQ event for a record, keyed like the original."""
    letter = DeadLetter(
        original_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=headers_as_text(record),
        kind=kind,
        error=error[:2000],
        service=service,
        attempts=attempts,
    )
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return Outgoing(DLQ, letter, key)


class Dispatcher:
    """Runs a handler for records of one consumer; returns what to publish before committing."""

    def __init__(
        self,
        service: str,
        group: str,
        handler: Handler,
        options: ConsumerOptions,
        observer: DeliveryObserver | None = None,
    ):
        self._service = service
        self._group = group
        self._handler = handler
        self._options = options
        self._observer = observer

    async def handle(self, record: Record, finish: Finish) -> None:
        """Handle one record and ``finish`` it with the handler's outputs or one dead letter.

        Never raises for bad input or a failing handler: those become dead letters so the
        offset can move on. Cancellation propagates (a stopping consumer must not commit).
        ``finish`` runs inside the processing span, so outputs continue the producer's trace.
        """
        parent = propagate.extract(headers_as_text(record))
        token = context.attach(parent)
        try:
            with _tracer.start_as_current_span(
                f"{record.topic} process",
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": record.topic,
                    "messaging.consumer.group.name": self._group,
                    "messaging.destination.partition.id": str(record.partition),
                    "messaging.kafka.offset": record.offset,
                },
            ) as span:
                outputs = await self._decode_and_run(record, span)
                await finish(record, outputs)
                self._observe(record, outputs)
        finally:
            context.detach(token)

    def _observe(self, record: Record, outputs: Sequence[Outgoing]) -> None:
        if self._observer is None:
            return
        letter = outputs[0].event if len(outputs) == 1 and outputs[0].topic == DLQ else None
        if isinstance(letter, DeadLetter) and letter.original_topic == record.topic:
            self._observer.dead_lettered(record.topic, self._group, letter.kind)
        else:
            self._observer.handled(record.topic, self._group)

    async def _decode_and_run(self, record: Record, span: trace.Span) -> Sequence[Outgoing]:
        try:
            event = decode(record.topic, record.value)
        except EventDecodeError as exc:
            log.warning(
                "dead-lettering %s record at %s/%d: %s",
                exc.kind,
                record.topic,
                record.partition,
                exc,
                extra={"offset": record.offset},
            )
            span.set_attribute("sluice.dead_letter", exc.kind)
            return [dead_letter(record, exc.kind, str(exc), self._service, 0)]
        message: Message[msgspec.Struct] = Message(event, record)
        attempts = 1
        try:
            # The first attempt runs without tenacity: its per-call set-up costs about 50 µs,
            # paid by every record on the hot path, and almost every record succeeds at once.
            try:
                outputs = await self._handler(message)
            except Exception:
                if self._options.max_attempts <= 1:
                    raise
                attempts = self._options.max_attempts  # if the retries fail, all were made
                outputs = await self._retry(message)
            return list(outputs or ())
        except Exception as exc:  # a handler bug must not stop the partition
            log.exception(
                "handler failed %d times on %s/%d@%d; dead-lettering",
                attempts,
                record.topic,
                record.partition,
                record.offset,
            )
            span.record_exception(exc)
            span.set_attribute("sluice.dead_letter", "handler_failed")
            error = f"{type(exc).__name__}: {exc}"
            return [dead_letter(record, "handler_failed", error, self._service, attempts)]

    async def _retry(self, message: Message[msgspec.Struct]) -> Sequence[Outgoing] | None:
        """Attempts 2..``max_attempts`` after a failed first one, with the backoff the first
        failure starts: ``backoff_initial_s``, doubling up to the cap; raises the last failure."""
        options = self._options
        await asyncio.sleep(min(options.backoff_initial_s, options.backoff_max_s))
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(options.max_attempts - 1),
            # tenacity counts from 1 here; overall this is attempt 2: twice the first wait
            wait=wait_exponential(
                multiplier=2 * options.backoff_initial_s, max=options.backoff_max_s
            ),
            reraise=True,
        ):
            with attempt:
                outputs = await self._handler(message)
        return outputs
