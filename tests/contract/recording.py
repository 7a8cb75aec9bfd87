"""Handlers that record what one test produced (topics are shared across tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice_bus import Bus, HandlerResult, Message
from sluice_proto.dlq import DeadLetter
from sluice_proto.topics import DLQ


def key_of(message: Message[Any]) -> str:
    return (message.record.key or b"").decode()


@dataclass
class Recorder:
    """Keeps the messages whose key starts with ``prefix``; ignores everyone else's."""

    prefix: str
    messages: list[Message[Any]] = field(default_factory=list)

    def mine(self, message: Message[Any]) -> bool:
        return key_of(message).startswith(self.prefix)

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if self.mine(message):
            self.messages.append(message)
        return None

    @property
    def events(self) -> list[Any]:
        return [message.event for message in self.messages]


@dataclass
class Blocker(Recorder):
    """Records messages, but hangs forever on the one whose event has ``block_on`` as id."""

    block_on: str = ""
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if self.mine(message) and message.event.signal_id == self.block_on:
            self.reached.set()
            await asyncio.Event().wait()  # a handler stuck mid-record: the crash point
        return await super().__call__(message)


@dataclass
class Failing(Recorder):
    """Notes each attempt's signal id in ``attempts``; raises ``RuntimeError(error)`` when
    ``fails(attempts)`` says so (on every attempt by default), else records the message."""

    fails: Callable[[list[str]], bool] = lambda attempts: True
    error: str = "boom"
    attempts: list[str] = field(default_factory=list)

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if self.mine(message):
            self.attempts.append(message.event.signal_id)
            if self.fails(self.attempts):
                raise RuntimeError(self.error)
        return await super().__call__(message)


async def dead_letters(bus: Bus, prefix: str) -> Recorder:
    """Start collecting the dead letters of records keyed ``prefix…`` (DLQ keeps the key)."""
    recorder = Recorder(prefix)
    await bus.consume([DLQ], group=f"{prefix}-dlq", handler=recorder)
    return recorder


def letters(recorder: Recorder) -> list[DeadLetter]:
    """The dead letters a recorder has seen."""
    return [event for event in recorder.events if isinstance(event, DeadLetter)]
