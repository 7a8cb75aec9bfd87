"""Crashes inside a Kafka consumer's outbox batch, injected from the test (no product hooks).

``outputs_lost`` makes the outputs a predicate picks never reach the broker (their
acknowledgement never comes, so the batch hangs after its outbox record is in and before its
commit); ``commit_hangs`` lets the outputs through and holds the group's offset commit. Either
way the test then aborts the consumer: what a ``kill -9`` at that point leaves behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sluice_bus import kafka_consumer
from sluice_bus.kafka_send import send_encoded
from sluice_proto.outbox import OutboxOutput


@contextlib.contextmanager
def outputs_lost(lost: Callable[[OutboxOutput], bool]) -> Iterator[asyncio.Event]:
    """While inside: outbox consumers' outputs for which ``lost`` is true are never sent; the
    event is set once one was."""
    reached = asyncio.Event()

    async def send(producer: AIOKafkaProducer, output: OutboxOutput) -> asyncio.Future[Any]:
        if not lost(output):
            return await send_encoded(producer, output)
        reached.set()
        return asyncio.get_running_loop().create_future()  # never acknowledged

    with mock.patch.object(kafka_consumer, "send_encoded", send):
        yield reached


@contextlib.contextmanager
def commit_hangs(
    group: str, when: Callable[[Any], bool] = lambda offsets: True
) -> Iterator[asyncio.Event]:
    """While inside: ``group``'s offset commits for which ``when(offsets)`` holds never return
    (others go through, e.g. of batches of other tests' records); the event is set once one
    began."""
    reached = asyncio.Event()
    commit = AIOKafkaConsumer.commit

    async def hang(consumer: AIOKafkaConsumer, offsets: Any = None) -> None:
        if consumer._group_id != group or not when(offsets):
            await commit(consumer, offsets)
            return
        reached.set()
        await asyncio.Event().wait()

    with mock.patch.object(AIOKafkaConsumer, "commit", hang):
        yield reached


def of_topic(topic: str, key_prefix: str = "") -> Callable[[OutboxOutput], bool]:
    """The outputs bound for ``topic`` whose key starts with ``key_prefix``."""
    return lambda output: output.topic == topic and keyed(output, key_prefix)


def of_type(tag: str, key_prefix: str = "") -> Callable[[OutboxOutput], bool]:
    """The outputs whose event has the ``type`` tag ``tag`` and whose key starts with
    ``key_prefix`` (on the shared broker, a test's own account: other tests' records in the
    same batch must not set the crash point off early)."""
    marker = f'"type":"{tag}"'.encode()
    return lambda output: marker in output.value and keyed(output, key_prefix)


def keyed(output: OutboxOutput, prefix: str) -> bool:
    """``output``'s key starts with ``prefix`` (any output, for the empty prefix)."""
    return (output.key or b"").startswith(prefix.encode())
