"""Mutable fault state and counters of a simulated gateway (what the control API changes)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from sluice_sim.tws.config import TwsConfig


@dataclass(slots=True)
class Faults:
    """Switches tests flip at run time."""

    read_only: bool
    pacing_msgs_per_s: int
    trusted_ips: frozenset[str] | None
    connectivity_lost: bool = False
    hold_acks: bool = False  # accepted orders get no openOrder/orderStatus/fill push
    drop_orders: int = 0  # how many of the next placeOrder messages are lost on the way
    slow_lookups: int = 0  # how many of the next contract lookups are answered late
    slow_lookup_s: float = 0.0  # how late

    @classmethod
    def from_config(cls, config: TwsConfig) -> Faults:
        return cls(config.read_only, config.pacing_msgs_per_s, config.trusted_ips)

    def trusts(self, address: str) -> bool:
        return self.trusted_ips is None or address in self.trusted_ips


@dataclass(slots=True)
class Counters:
    """What tests read back: per-client messages, pacing violations, refusals."""

    messages_by_client: Counter[int] = field(default_factory=Counter)
    pacing_violations: Counter[int] = field(default_factory=Counter)
    refused_untrusted: int = 0
    refused_client_id: int = 0
    restarts: int = 0
    dropped_orders: int = 0
    history_requests: int = 0
    """reqHistoricalData messages received (answered or refused)."""
    history_pacing_violations: int = 0
    """reqHistoricalData refused with 162 for breaking IBKR's pacing rules."""

    def snapshot(self) -> dict[str, object]:
        return {
            "messages_by_client": dict(self.messages_by_client),
            "pacing_violations": dict(self.pacing_violations),
            "refused_untrusted": self.refused_untrusted,
            "refused_client_id": self.refused_client_id,
            "restarts": self.restarts,
            "dropped_orders": self.dropped_orders,
            "history_requests": self.history_requests,
            "history_pacing_violations": self.history_pacing_violations,
        }


class PacingWindow:
    """A sliding one-second window of message arrival times for one client."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def admit(self, now: float, limit: int) -> bool:
        """Record a message at ``now``; False when it exceeds ``limit`` messages per second."""
        while self._times and now - self._times[0] >= 1.0:
            self._times.popleft()
        if limit > 0 and len(self._times) >= limit:
            return False
        self._times.append(now)
        return True
