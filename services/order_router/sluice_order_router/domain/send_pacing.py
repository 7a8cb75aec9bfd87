"""When the next message may go to IBKR's socket: never more than the rate in any second.

IBKR counts messages by *arrival* in a sliding second and disconnects a client past about 50
(error 100). The rule kept here, on *send* times, leaves the difference between the configured
rate (45 by default) and IBKR's 50 as headroom for the network and event-loop jitter that can
bunch sends together on the way:

- slots are evenly spaced, ``1 / rate`` apart: no burst allowance (a token bucket holding ``b``
  tokens lets ``rate + b`` messages out in one second, which eats the headroom);
- while messages wait, the next slot follows the previous *slot*, not the previous (late) send,
  so a sender that woke late or stalled (a busy event loop, a process without CPU) makes up the
  lost slots instead of losing rate; but never less than half a spacing after the previous
  send, so it catches up at twice the rate at most, never in one clump, and makes up at most
  ``MAX_OWED_S`` of slots. A message that arrives after its slot would have come (the queue was
  idle) starts the chain afresh: idle time is not owed;
- and no message goes less than one second after the ``floor(rate)``-th message before it, so
  any half-open one-second window of send times holds at most ``floor(rate)`` messages, however
  late the sender wakes or however it catches up.

With sends evenly spaced, 50 arrivals within one second need 49 gaps of 22.2 ms (at 45/s) to
shrink by ≈ 90 ms in all: that is the jitter this rate absorbs.

Pure: the caller passes the time. ``reserve`` says when the next message may go (and takes that
slot), given when it was queued; the caller waits until then and calls ``sent`` with the time it
really went.
"""

from __future__ import annotations

import math
from collections import deque

WINDOW_S = 1.0
MAX_OWED_S = 0.5
"""Slots a sender kept late for longer may not make up (it would run at twice the rate)."""


class SendSchedule:
    """Slots for messages sent one at a time at ``rate`` per second (see the module)."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, not {rate}")
        self.spacing = WINDOW_S / rate
        self.limit = max(1, math.floor(rate))
        """Messages allowed in any one-second window of send times."""
        self._sent: deque[float] = deque(maxlen=self.limit)
        self._slot = -math.inf

    def reserve(self, now: float, queued_at: float) -> float:
        """The time the next message (queued at ``queued_at``) may go, never before ``now``;
        that slot is taken."""
        due = max(queued_at, self._slot + self.spacing)  # may be past: slots owed
        slot = due
        if self._sent:  # catching up: at most twice the rate
            slot = max(slot, self._sent[-1] + self.spacing / 2)
        if len(self._sent) == self.limit:  # the limit-th message back must be a second old
            slot = max(slot, self._sent[0] + WINDOW_S)
        self._slot = max(due, slot - MAX_OWED_S)
        return max(slot, now)

    def sent(self, at: float) -> None:
        """The message reserved last went at ``at`` (at or after its slot)."""
        self._sent.append(at)
