"""Reconnect delays: exponential with full jitter, capped."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JitteredBackoff:
    """Delay before reconnect attempt n (1-based): uniform in [0, min(cap, initial·2ⁿ⁻¹)].

    Full jitter keeps several routers from reconnecting in lock-step after a gateway
    restart; the cap bounds how long an outage outlives the gateway coming back.
    """

    initial_s: float = 0.5
    cap_s: float = 30.0

    def ceiling(self, attempt: int) -> float:
        """The largest delay attempt ``attempt`` may wait."""
        return min(self.cap_s, self.initial_s * 2.0 ** min(max(attempt, 1) - 1, 32))

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before ``attempt``."""
        return rand() * self.ceiling(attempt)
