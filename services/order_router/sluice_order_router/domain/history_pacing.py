"""IBKR's historical-data pacing, kept by the router so that IBKR never has to send 162.

IBKR's rules (TWS API "Historical Data Limitations", pacing violations): no identical request
within 15 seconds; no six or more requests for the same contract, exchange and tick type
within two seconds; no more than 60 requests within any ten minutes. IBKR states them for bars
of 30 seconds or less and throttles larger bars softly; the router applies them to every
request, which costs little (market-data caches what it can) and never trips either.

Pure: the caller passes the time. ``earliest`` says when a request may go; the caller waits
(or refuses when that is past the request's expiry) and calls ``sent`` when it goes. Requests
are recorded when sent, so callers take one request at a time through ``earliest``/``sent``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

IDENTICAL_WINDOW_S = 15.0
SAME_CONTRACT_WINDOW_S, SAME_CONTRACT_MAX = 2.0, 5
WINDOW_S, WINDOW_MAX = 600.0, 60


@dataclass(frozen=True, slots=True)
class PacingKey:
    """What the rules compare: the contract and tick type, and the whole request."""

    contract: Hashable
    """Contract, exchange and tick type (``what_to_show``): the two-second rule's unit."""
    request: Hashable
    """Everything that makes two requests identical (the fifteen-second rule's unit)."""


@dataclass(slots=True)
class HistoryPacer:
    """Requests sent in the last ten minutes, and when the next may go.

    ``margin_s`` is added to every wait: IBKR times requests on arrival, and a request sent
    later may overtake an earlier one on the way.
    """

    margin_s: float = 0.25
    _sent: deque[tuple[float, PacingKey]] = field(default_factory=deque)

    def earliest(self, key: PacingKey, now: float) -> float:
        """The first time at or after ``now`` when ``key`` may be sent under every rule."""
        self._forget(now)
        times = [t for t, _ in self._sent]
        at = now
        identical = [t for t, k in self._sent if k.request == key.request]
        if identical and now - identical[-1] < IDENTICAL_WINDOW_S + self.margin_s:
            at = max(at, identical[-1] + IDENTICAL_WINDOW_S + self.margin_s)
        same = [t for t, k in self._sent if k.contract == key.contract]
        if len(same) >= SAME_CONTRACT_MAX:
            fifth_last = same[-SAME_CONTRACT_MAX]
            at = max(at, fifth_last + SAME_CONTRACT_WINDOW_S + self.margin_s)
        if len(times) >= WINDOW_MAX:
            sixtieth_last = times[-WINDOW_MAX]
            at = max(at, sixtieth_last + WINDOW_S + self.margin_s)
        return at

    def sent(self, key: PacingKey, now: float) -> None:
        """``key`` went to IBKR at ``now``."""
        self._sent.append((now, key))

    def _forget(self, now: float) -> None:
        while self._sent and now - self._sent[0][0] > WINDOW_S + self.margin_s:
            self._sent.popleft()
