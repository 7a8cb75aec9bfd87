"""How long to wait before the next recovery command, so IBKR is never hammered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(slots=True)
class RecoveryBackoff:
    """Doubling delays from ``initial`` up to ``cap``; ``reset`` once the session is healthy.

    No jitter: one active keeper per account sends these, so there is no herd to spread.
    """

    initial: timedelta
    cap: timedelta
    attempts: int = 0

    def next_delay(self) -> timedelta:
        """The wait after the attempt just made (and count it)."""
        delay = min(self.cap, self.initial * (1 << min(self.attempts, 30)))
        self.attempts += 1
        return delay

    def reset(self) -> None:
        """Start again from ``initial``."""
        self.attempts = 0
