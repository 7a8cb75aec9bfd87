"""Recurring windows in which IBKR or the gateway drops sessions, in their own time zones.

A window is defined in local wall-clock time (``01:00 America/New_York``), so its UTC instant
moves with daylight saving. Where the local start is ambiguous (the autumn hour that happens
twice) or missing (the spring gap), the window covers every UTC instant the wall-clock time
could mean: holding trading a little longer is cheap, trading into a reset is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SUNDAY = 6


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A daily (or weekly, on ``weekday``) window starting at local ``at`` in ``zone``."""

    name: str
    at: time
    zone: ZoneInfo
    duration: timedelta
    lead: timedelta = timedelta(0)
    weekday: int | None = None

    def on(self, day: date) -> Window | None:
        """The window that starts on local ``day``, if the spec has one that day."""
        if self.weekday is not None and day.weekday() != self.weekday:
            return None
        instants = [
            datetime.combine(day, self.at, tzinfo=self.zone).replace(fold=fold).astimezone(UTC)
            for fold in (0, 1)
        ]
        return Window(self.name, min(instants) - self.lead, max(instants) + self.duration)


@dataclass(frozen=True, slots=True)
class Window:
    """One occurrence of a window, in UTC: trading is held from ``start`` until ``end``."""

    name: str
    start: datetime
    end: datetime

    def contains(self, now: datetime) -> bool:
        """True while ``now`` is inside the window (start inclusive, end exclusive)."""
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True)
class ResetCalendar:
    """Every window that applies to one account's API path."""

    specs: tuple[WindowSpec, ...] = ()

    def _around(self, now: datetime, days: range) -> list[Window]:
        found = []
        for spec in self.specs:
            local_day = now.astimezone(spec.zone).date()
            for offset in days:
                window = spec.on(local_day + timedelta(days=offset))
                if window is not None:
                    found.append(window)
        return found

    def active(self, now: datetime) -> Window | None:
        """The window ``now`` falls in (the one ending last when windows overlap), or None."""
        inside = [w for w in self._around(now, range(-1, 2)) if w.contains(now)]
        return max(inside, key=lambda w: w.end, default=None)

    def next(self, now: datetime) -> Window | None:
        """The next window that has not started yet (looking one week ahead)."""
        ahead = [w for w in self._around(now, range(0, 9)) if w.start > now]
        return min(ahead, key=lambda w: w.start, default=None)
