"""Historical bars already fetched, by the full request (pure).

Only closed windows are kept: bars of a window wholly in the past never change, while a window
up to now grows with every bar. Least recently used entries go first once ``max_entries`` is
reached. Hand-written (an ``OrderedDict`` in a dozen lines) rather than a cache library: the
service needs no expiry, only the bound.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from sluice_proto.history import Bar, HistoryRequest, closed_window

HistoryKey = tuple[object, ...]


def history_key(request: HistoryRequest) -> HistoryKey:
    """Everything that decides a request's bars (not its id, expiry or timestamp)."""
    instrument = request.instrument
    end = request.end.astimezone(UTC) if request.end is not None else None
    return (
        instrument.key, instrument.con_id, end, request.duration, request.bar_size,
        request.what_to_show, request.use_rth,
    )  # fmt: skip


class HistoryCache:
    """Bars of closed windows, bounded by entry count."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[HistoryKey, list[Bar]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, request: HistoryRequest) -> list[Bar] | None:
        """The bars of an identical earlier request, if kept."""
        key = history_key(request)
        bars = self._entries.get(key)
        if bars is not None:
            self._entries.move_to_end(key)
        return bars

    def put(self, request: HistoryRequest, bars: list[Bar], now: datetime) -> bool:
        """Keep ``bars`` when the request's window is closed at ``now``; True if kept."""
        if self._max <= 0 or not closed_window(request, now):
            return False
        key = history_key(request)
        self._entries[key] = bars
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return True
