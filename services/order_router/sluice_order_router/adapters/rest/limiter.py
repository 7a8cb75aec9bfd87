"""One shared limiter for every request to IBKR: global and per-endpoint, plus the penalty box.

IBKR answers a burst over its limits with 429 and may hold the IP in a penalty box for
10-15 minutes; retrying into it prolongs the box, so after a 429 nothing is sent until the
penalty is over and callers get ``RateLimitedError`` (a ``NotConnectedError``: orders hold).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from sluice_order_router.ports import NotConnectedError, PacingStats


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` requests per ``per_s`` seconds."""

    rate: float
    per_s: float


GLOBAL = "*"
SSO_VALIDATE = "GET /sso/validate"
IBKR_LIMITS: dict[str, Limit] = {
    GLOBAL: Limit(10, 1.0),
    "GET /tickle": Limit(1, 1.0),
    SSO_VALIDATE: Limit(1, 60.0),
    "GET /iserver/account/orders": Limit(1, 5.0),
    "GET /iserver/account/trades": Limit(1, 5.0),
    "GET /iserver/marketdata/snapshot": Limit(10, 1.0),
}
"""IBKR's documented limits through a Client Portal Gateway, keyed ``"METHOD /path"``."""


class RateLimitedError(NotConnectedError):
    """IBKR put us in the penalty box; nothing is sent until it ends."""


class SharedLimiter:
    """Wait for a slot in the endpoint's and the global budget; refuse during a penalty."""

    def __init__(
        self,
        limits: dict[str, Limit] | None = None,
        headroom: float = 0.9,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Evenly spaced at a fraction of the limit, never in bursts: requests taking different
        # times to arrive (new TLS connections, the proxy) bunch up at IBKR, and IBKR's own
        # burst allowance must be left to absorb that bunching.
        self._limiters = {
            key: AsyncLimiter(1, limit.per_s / (limit.rate * headroom))
            for key, limit in (limits or IBKR_LIMITS).items()
        }
        self._clock = clock
        self._penalty_until = 0.0
        self.pacing = PacingStats()

    @property
    def penalty_left_s(self) -> float:
        """Seconds until requests may be sent again (0 when not penalised)."""
        return max(0.0, self._penalty_until - self._clock())

    def penalize(self, seconds: float) -> None:
        """Stop sending for ``seconds`` (after a 429)."""
        self._penalty_until = max(self._penalty_until, self._clock() + seconds)

    async def acquire(self, endpoint: str) -> None:
        """Wait for the endpoint's budget, then the global one; raise while penalised."""
        self._check_penalty()
        specific = self._limiters.get(endpoint)
        self.pacing.waiting += 1
        started = self._clock()
        try:
            if specific is not None:
                await specific.acquire()
            await self._limiters[GLOBAL].acquire()
        finally:
            self.pacing.waiting -= 1
        self.pacing.waited(self._clock() - started)
        self._check_penalty()

    def _check_penalty(self) -> None:
        left = self.penalty_left_s
        if left > 0:
            raise RateLimitedError(f"IBKR rate-limit penalty: {left:.0f}s left, not sending")
