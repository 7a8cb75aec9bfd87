"""Reset windows: local wall-clock times across time zones, DST changes and Sundays."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sluice_session_keeper.domain.windows import SUNDAY, ResetCalendar, WindowSpec

NEW_YORK = ZoneInfo("America/New_York")
ZURICH = ZoneInfo("Europe/Zurich")
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
MINUTES_20 = timedelta(minutes=20)


def daily(zone: ZoneInfo, at: time = time(1, 0), lead: timedelta = timedelta(0)) -> WindowSpec:
    return WindowSpec("iserver-reset", at, zone, MINUTES_20, lead)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "winter_start", "summer_start"),
    [
        (NEW_YORK, utc(2024, 1, 15, 6, 0), utc(2024, 7, 15, 5, 0)),
        (ZURICH, utc(2024, 1, 15, 0, 0), utc(2024, 7, 14, 23, 0)),
        (HONG_KONG, utc(2024, 1, 14, 17, 0), utc(2024, 7, 14, 17, 0)),
    ],
)
def test_the_daily_reset_follows_local_time_through_the_year(
    zone: ZoneInfo, winter_start: datetime, summer_start: datetime
) -> None:
    calendar = ResetCalendar((daily(zone),))
    for start in (winter_start, summer_start):
        assert calendar.active(start - timedelta(seconds=1)) is None
        window = calendar.active(start)
        assert window is not None
        assert (window.start, window.end) == (start, start + MINUTES_20)
        assert calendar.active(start + MINUTES_20) is None


def test_the_lead_holds_trading_before_the_local_time() -> None:
    calendar = ResetCalendar((daily(NEW_YORK, lead=timedelta(minutes=5)),))
    assert calendar.active(utc(2024, 1, 15, 5, 54)) is None
    assert calendar.active(utc(2024, 1, 15, 5, 55)) is not None


def test_an_ambiguous_autumn_hour_holds_through_both_occurrences() -> None:
    # 2024-11-03 01:00 New York happens at 05:00 UTC (EDT) and again at 06:00 UTC (EST).
    calendar = ResetCalendar((daily(NEW_YORK),))
    window = calendar.active(utc(2024, 11, 3, 5, 0))
    assert window is not None
    assert (window.start, window.end) == (utc(2024, 11, 3, 5, 0), utc(2024, 11, 3, 6, 20))
    assert calendar.active(utc(2024, 11, 3, 6, 10)) == window


def test_a_time_in_the_spring_gap_covers_both_readings() -> None:
    # 2024-03-10 02:30 New York does not exist: it reads as 06:30 or 07:30 UTC.
    calendar = ResetCalendar((daily(NEW_YORK, at=time(2, 30)),))
    window = calendar.active(utc(2024, 3, 10, 6, 30))
    assert window is not None
    assert window.end == utc(2024, 3, 10, 7, 50)


def test_zurich_keeps_its_01_00_on_the_spring_forward_day() -> None:
    calendar = ResetCalendar((daily(ZURICH),))
    window = calendar.active(utc(2024, 3, 31, 0, 0))  # 01:00 CET, an hour before the change
    assert window is not None
    assert window.start == utc(2024, 3, 31, 0, 0)


def test_the_weekly_window_is_only_on_sunday() -> None:
    weekly = WindowSpec("weekly-token", time(1, 0), NEW_YORK, timedelta(minutes=30), weekday=SUNDAY)
    calendar = ResetCalendar((weekly,))
    assert calendar.active(utc(2024, 6, 8, 5, 10)) is None  # Saturday 01:10 EDT
    sunday = calendar.active(utc(2024, 6, 9, 5, 10))  # Sunday 01:10 EDT
    assert sunday is not None
    assert sunday.name == "weekly-token"
    assert calendar.active(utc(2024, 6, 10, 5, 10)) is None  # Monday


def test_a_window_spanning_midnight_is_found_the_next_day() -> None:
    restart = WindowSpec("gateway-restart", time(23, 55), NEW_YORK, timedelta(minutes=15))
    calendar = ResetCalendar((restart,))
    window = calendar.active(utc(2024, 1, 16, 5, 5))  # 00:05 EST on the 16th
    assert window is not None
    assert window.start == utc(2024, 1, 16, 4, 55)


def test_overlapping_windows_hold_until_the_last_one_ends() -> None:
    weekly = WindowSpec("weekly-token", time(1, 0), NEW_YORK, timedelta(minutes=30), weekday=SUNDAY)
    calendar = ResetCalendar((daily(NEW_YORK), weekly))
    window = calendar.active(utc(2024, 6, 9, 5, 5))
    assert window is not None
    assert (window.name, window.end) == ("weekly-token", utc(2024, 6, 9, 5, 30))


def test_next_names_the_coming_window() -> None:
    calendar = ResetCalendar((daily(HONG_KONG),))
    coming = calendar.next(utc(2024, 1, 15, 12, 0))
    assert coming is not None
    assert coming.start == utc(2024, 1, 15, 17, 0)
    assert ResetCalendar().next(utc(2024, 1, 15, 12, 0)) is None
