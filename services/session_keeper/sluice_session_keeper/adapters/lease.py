"""One active keeper per account, elected by the keepers' shared consumer group.

Every instance heartbeats a ``KeeperMark`` per account onto the reports topic, keyed by
account, and every instance joins one consumer group on that topic. The group gives each
partition to exactly one member, so only the instance that owns an account's partition
receives its marks: receiving them within ``ttl`` is holding the lease. A new holder waits
``ttl`` before acting, by which time a previous holder that lost the partition (rebalance,
crash, pause) has stopped receiving marks for ``ttl`` and stepped down: no two act at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class AccountLeases:
    """Which accounts this instance holds, from the times their marks reached it."""

    def __init__(self, ttl_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._last_seen: dict[str, float] = {}
        self._acquired: dict[str, float] = {}

    def seen(self, account: str) -> None:
        """A record of ``account``'s partition reached this instance's group member."""
        now = self._monotonic()
        last = self._last_seen.get(account)
        if last is None or now - last > self.ttl_s:
            self._acquired[account] = now
        self._last_seen[account] = now

    def holds(self, account: str) -> bool:
        """True once held for ``ttl`` without a gap, and while marks keep arriving."""
        now = self._monotonic()
        last = self._last_seen.get(account)
        if last is None or now - last > self.ttl_s:
            return False
        return now - self._acquired[account] >= self.ttl_s
