"""IBKR's request limits as the simulator enforces them: token buckets and a penalty box.

Limits are per caller IP: a global bucket (10 req/s through a Client Portal Gateway) plus one
bucket per limited endpoint. Exceeding any of them answers 429 and puts the IP in the penalty
box, where every request is refused until the penalty ends (logged at WARNING with its end).

Arrival times carry network jitter, so a request up to ``JITTER_S`` early still finds its token:
a client that sends one ``/tickle`` a second never lands in the box, one that sends two in a
burst does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)
JITTER_S = 0.1


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` requests per ``per_s`` seconds, with a burst of ``rate``."""

    rate: float
    per_s: float


GLOBAL = "*"
DEFAULT_LIMITS: dict[str, Limit] = {
    GLOBAL: Limit(10, 1.0),
    "GET /tickle": Limit(1, 1.0),
    "GET /sso/validate": Limit(1, 60.0),
    "GET /iserver/account/orders": Limit(1, 5.0),
    "GET /iserver/account/trades": Limit(1, 5.0),
    "GET /iserver/marketdata/snapshot": Limit(10, 1.0),
}
"""IBKR's documented limits, keyed ``"METHOD /path"`` (``*`` = every request)."""


class _Bucket:
    __slots__ = ("level", "stamp")

    def __init__(self, level: float, stamp: float) -> None:
        self.level, self.stamp = level, stamp


class RateGate:
    """Decides, request by request, whether a caller is within its limits."""

    def __init__(self, limits: dict[str, Limit], penalty_s: float) -> None:
        self.limits = limits
        self.penalty_s = penalty_s
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._boxed_until: dict[str, float] = {}

    def admit(self, ip: str, endpoint: str, now: float) -> float | None:
        """None to admit the request, else the seconds left in the caller's penalty box."""
        until = self._boxed_until.get(ip, 0.0)
        if now < until:
            return until - now
        keys = [k for k in (GLOBAL, endpoint) if k in self.limits]
        over = [key for key in keys if not self._has_token(ip, key, now)]
        if not over:
            for key in keys:
                self._buckets[(ip, key)].level -= 1
            return None
        self._boxed_until[ip] = now + self.penalty_s
        limit = self.limits[over[-1]]
        ends = datetime.now(UTC) + timedelta(seconds=self.penalty_s)
        log.warning(
            "penalty box: %s went over IBKR's limit for %s (%g per %g s): every request answers "
            "429 until %s (%.0f s; release it with POST /_sim/release)",
            ip, "all requests" if over[-1] == GLOBAL else endpoint, limit.rate, limit.per_s,
            ends.strftime("%H:%M:%S UTC"), self.penalty_s,
        )  # fmt: skip
        return self.penalty_s

    def release(self, ip: str | None = None) -> None:
        """Let a caller (None: every caller) out of the penalty box (control API)."""
        released = list(self._boxed_until) if ip is None else [ip]
        for caller in released:
            if self._boxed_until.pop(caller, None) is not None:
                log.warning("penalty box: %s released", caller)

    def _has_token(self, ip: str, key: str, now: float) -> bool:
        limit = self.limits[key]
        bucket = self._buckets.setdefault((ip, key), _Bucket(limit.rate, now))
        refill = (now - bucket.stamp) * limit.rate / limit.per_s
        bucket.level, bucket.stamp = min(limit.rate, bucket.level + refill), now
        return bucket.level >= 1 - JITTER_S * limit.rate / limit.per_s
