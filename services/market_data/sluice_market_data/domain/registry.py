"""Who wants which instrument: reference-counted lines within the account's line budget.

Every instrument the router streams holds one IBKR market-data line (100 per account by
default), however many subscribers share it. The budget is checked here, before the router is
asked, so a full budget gives a clear rejection instead of an IBKR error 101 later.
"""

from __future__ import annotations

from datetime import datetime

from sluice_proto.common import Instrument
from sluice_proto.market_data import MdStart, MdStop, MdSubscriptionRejected

Admission = MdStart | MdSubscriptionRejected


class SubscriptionRegistry:
    """Subscribers per instrument key; one line per instrument with at least one subscriber."""

    def __init__(self, line_budget: int = 100) -> None:
        if line_budget < 1:
            raise ValueError(f"line budget must be at least 1, got {line_budget}")
        self.line_budget = line_budget
        self._instruments: dict[str, Instrument] = {}
        self._subscribers: dict[str, set[str]] = {}

    @property
    def lines_in_use(self) -> int:
        """How many instruments are streaming (each holds one market-data line)."""
        return len(self._subscribers)

    def is_active(self, key: str) -> bool:
        """True while someone is subscribed to the instrument ``key``."""
        return key in self._subscribers

    def subscribers(self, key: str) -> frozenset[str]:
        """Who is subscribed to the instrument ``key``."""
        return frozenset(self._subscribers.get(key, ()))

    def subscribe(self, subscriber: str, instrument: Instrument, now: datetime) -> list[Admission]:
        """Add a subscriber; ``MdStart`` for the first one, a rejection when the budget is full.

        Repeating a subscription is a no-op: a subscriber counts once per instrument.
        """
        key = instrument.key
        if key in self._subscribers:
            self._subscribers[key].add(subscriber)
            return []
        if self.lines_in_use >= self.line_budget:
            message = (
                f"market-data line budget exhausted: {self.lines_in_use} of {self.line_budget}"
                f" lines in use; {key} not subscribed (unsubscribe an instrument or raise"
                " SLUICE_MD_LINE_BUDGET if the account has more lines)"
            )
            return [
                MdSubscriptionRejected(
                    instrument=instrument,
                    subscriber_id=subscriber,
                    reason_code="LINE_BUDGET_EXHAUSTED",
                    message=message,
                    ts=now,
                )
            ]
        self._instruments[key] = instrument
        self._subscribers[key] = {subscriber}
        return [MdStart(instrument=instrument, ts=now)]

    def unsubscribe(self, subscriber: str, instrument: Instrument, now: datetime) -> list[MdStop]:
        """Remove a subscriber; ``MdStop`` frees the line when it was the last one."""
        key = instrument.key
        subscribers = self._subscribers.get(key)
        if subscribers is None or subscriber not in subscribers:
            return []
        subscribers.discard(subscriber)
        if subscribers:
            return []
        return [MdStop(instrument=self._release(key), ts=now)]

    def drop(self, key: str) -> tuple[Instrument, frozenset[str]] | None:
        """Forget an instrument the broker will not stream; its subscribers, to tell them."""
        if key not in self._subscribers:
            return None
        subscribers = frozenset(self._subscribers[key])
        return self._release(key), subscribers

    def _release(self, key: str) -> Instrument:
        del self._subscribers[key]
        return self._instruments.pop(key)
