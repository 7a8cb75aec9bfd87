"""IBKR's historical-data pacing rules, which error 162 enforces (for bars of 30 s or less)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

SMALL_BAR_S = 30
"""The rules bind requests for bars of this many seconds or less."""
IDENTICAL_WINDOW_S = 15.0
SAME_CONTRACT_WINDOW_S, SAME_CONTRACT_MAX = 2.0, 5
WINDOW_S, WINDOW_MAX = 600.0, 60


@dataclass(slots=True)
class HistoryPacing:
    """No identical request within 15 s; at most five for one contract and data type within
    2 s; at most 60 in any ten minutes. One per gateway: IBKR paces the user, not a client."""

    clock: Callable[[], float] = time.monotonic
    _recent: deque[tuple[float, tuple[Hashable, ...]]] = field(default_factory=deque)

    def admit(self, key: tuple[Hashable, ...]) -> bool:
        """Record a request whose first two key parts are contract and data type; False if
        it breaks a rule (and then it is not counted)."""
        now = self.clock()
        while self._recent and now - self._recent[0][0] > WINDOW_S:
            self._recent.popleft()
        identical = any(k == key and now - t < IDENTICAL_WINDOW_S for t, k in self._recent)
        burst = sum(
            1 for t, k in self._recent if k[:2] == key[:2] and now - t < SAME_CONTRACT_WINDOW_S
        )
        if identical or burst >= SAME_CONTRACT_MAX or len(self._recent) >= WINDOW_MAX:
            return False
        self._recent.append((now, key))
        return True
