"""Producing Sluice events with aiokafka: encoding, headers and the publish span."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer

from sluice_bus.api import Outgoing
from sluice_bus.envelope import outgoing_headers, publish_span
from sluice_proto.codec import encode
from sluice_proto.outbox import OutboxOutput


def aiokafka_instrumented() -> bool:
    """True when opentelemetry-instrumentation-aiokafka is active in this process.

    It then opens the PRODUCER span and appends ``traceparent`` itself, so we must not.
    Whatever instrumented aiokafka imported the instrumentation first; a process that never
    did (the ``sluice`` CLI) does not pay for importing it (and ``packaging``) on its first
    publish.
    """
    module = sys.modules.get("opentelemetry.instrumentation.aiokafka")
    if module is None:
        return False
    return bool(module.AIOKafkaInstrumentor().is_instrumented_by_opentelemetry)


def producer_settings(bootstrap: str, client_id: str) -> dict[str, Any]:
    """Durable, ordered producing: idempotent, ``acks=all``.

    ``retry_backoff_ms=10`` (aiokafka's default is 100): a transactional consumer sends its
    offsets while its outputs are in flight, and the broker's transaction check may refuse such
    a produce as retriable (NotEnoughReplicas); the retry then costs 10 ms, not 100 (docs/e2e.md).
    """
    return {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "enable_idempotence": True,
        "acks": "all",
        "retry_backoff_ms": 10,
    }


def encoded(
    service: str,
    topic: str,
    event: msgspec.Struct,
    *,
    key: str | None,
    extra: Mapping[str, str] | None = None,
) -> OutboxOutput:
    """One event as the record it is produced as: key, value and headers, encoded once (an
    outbox keeps these bytes, so publishing them again is byte for byte the same record)."""
    instrumented = aiokafka_instrumented()
    with nullcontext() if instrumented else publish_span(topic):
        headers = list(outgoing_headers(event, service, extra, trace_context=not instrumented))
        return OutboxOutput(
            topic=topic,
            key=key.encode() if key is not None else None,
            value=encode(event),
            headers=headers,
        )


async def send_encoded(producer: AIOKafkaProducer, output: OutboxOutput) -> asyncio.Future[Any]:
    """Queue one encoded record; the returned future resolves once the broker has it."""
    future: asyncio.Future[Any] = await producer.send(
        output.topic, output.value, key=output.key, headers=list(output.headers)
    )
    return future


async def send_event(
    producer: AIOKafkaProducer,
    service: str,
    topic: str,
    event: msgspec.Struct,
    *,
    key: str | None,
    extra: Mapping[str, str] | None = None,
) -> asyncio.Future[Any]:
    """Queue one event; the returned future resolves once the broker has it (``acks=all``)."""
    return await send_encoded(producer, encoded(service, topic, event, key=key, extra=extra))


async def queue_outputs(
    producer: AIOKafkaProducer, service: str, outputs: Sequence[Outgoing]
) -> list[asyncio.Future[Any]]:
    """Queue a handler's outputs in order; the futures resolve once each is durable."""
    return [await send_event(producer, service, o.topic, o.event, key=o.key) for o in outputs]
