"""Keeps a rebalance and the record in hand apart.

Partitions are given up only after the batch being handled is finished and committed, and
no record is handled while the group is between assignments (its commit would fail and the
record would be handled twice).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka import ConsumerRebalanceListener, TopicPartition


class RebalanceGate(ConsumerRebalanceListener):  # type: ignore[misc]
    """Held by the consumer per batch and by the group coordinator during a rebalance."""

    def __init__(
        self, placed: Callable[[set[TopicPartition]], Awaitable[None]] | None = None
    ) -> None:
        self._placed = placed
        """Positions newly assigned partitions before any record of them is fetched."""
        self._lock = asyncio.Lock()
        self._rebalancing = False
        self.generation = 0
        """Bumped on every assignment; records fetched under an older one are stale."""

    @property
    def rebalancing(self) -> bool:
        """True between giving up partitions and receiving the new assignment."""
        return self._rebalancing

    @contextlib.asynccontextmanager
    async def handling(self) -> AsyncIterator[None]:
        """Hold the gate while one batch is handled and committed."""
        async with self._lock:
            yield

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # aiokafka may call this again if the join is retried: take the lock only once.
        if not self._rebalancing:
            await self._lock.acquire()
            self._rebalancing = True

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.generation += 1
        if self._placed is not None:
            await self._placed(assigned)
        if self._rebalancing:
            self._rebalancing = False
            self._lock.release()
