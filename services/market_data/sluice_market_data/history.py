"""Historical bars for strategies: a cache, in-flight coalescing, and the router behind them.

A request not in the cache goes to the router on ``sluice.md.history.requests.v1`` (keyed by
its id, with ``expires_at`` = now + the timeout) and its reply comes back on
``sluice.md.history.replies.v1``. Identical requests asked while one is in flight share it;
nobody waits past the timeout (then the answer is ``TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from sluice_bus.api import Bus, Consumer, ConsumerOptions, Message
from sluice_market_data.domain.history_cache import HistoryCache, HistoryKey, history_key
from sluice_proto.common import utc_now
from sluice_proto.history import HistoryBars, HistoryRejected, HistoryReply, HistoryRequest
from sluice_proto.topics import MD_HISTORY_REPLIES, MD_HISTORY_REQUESTS


@dataclass(frozen=True, slots=True)
class HistoryAnswer:
    """A reply and whether it came from the cache."""

    reply: HistoryReply
    cached: bool = False


class HistoryService:
    """Asks the router for bars the cache does not hold."""

    def __init__(
        self,
        bus: Bus,
        cache: HistoryCache,
        *,
        timeout_s: float,
        group: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._bus = bus
        self.cache = cache
        self._timeout_s = timeout_s
        self._group = group
        self._clock = clock
        self._in_flight: dict[HistoryKey, asyncio.Task[HistoryReply]] = {}
        self._waiting: dict[str, asyncio.Future[HistoryReply]] = {}
        self._consumer: Consumer | None = None
        self.asked = 0
        """Requests sent to the router (cache hits and coalesced requests are not)."""

    async def start(self) -> None:
        """Listen for the router's replies (only those asked from now on matter)."""
        self._consumer = await self._bus.consume(
            [MD_HISTORY_REPLIES],
            group=self._group,
            handler=self._on_reply,
            options=ConsumerOptions(from_beginning=False),
        )

    async def stop(self) -> None:
        """Stop listening; requests in flight end as ``TIMEOUT``."""
        for task in list(self._in_flight.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.stop()

    async def fetch(self, request: HistoryRequest) -> HistoryAnswer:
        """Bars or a refusal for ``request`` (its id and expiry are set here)."""
        cached = self.cache.get(request)
        if cached is not None:
            bars = HistoryBars(request_id=request.request_id, instrument=request.instrument,
                               bars=cached)  # fmt: skip
            return HistoryAnswer(bars, cached=True)
        key = history_key(request)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._ask(request), name=f"history-{request.request_id}")
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return HistoryAnswer(await asyncio.shield(task))

    async def _ask(self, request: HistoryRequest) -> HistoryReply:
        now = self._clock()
        request_id = uuid.uuid4().hex
        sent = msgspec.structs.replace(
            request, request_id=request_id, expires_at=now + timedelta(seconds=self._timeout_s)
        )
        future: asyncio.Future[HistoryReply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self._bus.publish(MD_HISTORY_REQUESTS, sent, key=request_id)
            self.asked += 1
            async with asyncio.timeout(self._timeout_s):
                reply = await future
        except TimeoutError:
            return HistoryRejected(
                request_id=request_id, instrument=request.instrument, reason="TIMEOUT",
                message=f"no answer from the order-router within {self._timeout_s:g}s",
            )  # fmt: skip
        finally:
            self._waiting.pop(request_id, None)
        if isinstance(reply, HistoryBars):
            self.cache.put(request, reply.bars, self._clock())
        return reply

    async def _on_reply(self, message: Message[Any]) -> None:
        reply: HistoryReply = message.event
        future = self._waiting.get(reply.request_id)
        if future is not None and not future.done():
            future.set_result(reply)
