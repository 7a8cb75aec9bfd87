"""historicalData (message 17) at server version 176: every bar and the end in one message.

Below server version 196 there is no separate historicalDataEnd (108): the start and end
strings ahead of the bars tell the client the request is complete.
"""

from __future__ import annotations

from datetime import datetime

from sluice_sim.tws.fields import Fields, message
from sluice_sim.venue.history import Bar


def bar_time(when: datetime, *, daily: bool, format_date: int) -> str:
    """formatDate 2: epoch seconds; 1: ``yyyyMMdd`` for daily bars, else with time and zone."""
    if format_date == 2:
        return str(int(when.timestamp()))
    if daily:
        return when.strftime("%Y%m%d")
    return f"{when.strftime('%Y%m%d %H:%M:%S')} {when.tzinfo}"


def historical_data(
    req_id: int, bars: list[Bar], *, start: str, end: str, daily: bool, format_date: int
) -> Fields:
    fields = message(17, req_id, start, end, len(bars))
    for bar in bars:
        fields += [bar_time(bar.start, daily=daily, format_date=format_date)]
        fields += message(bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap, bar.count)
    return fields
