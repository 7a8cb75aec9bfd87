"""The historical-bar cache keeps closed windows only, by the full request, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sluice_market_data.domain.history_cache import HistoryCache
from sluice_proto import Instrument
from sluice_proto.history import Bar, HistoryRequest

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BARS = [Bar(start=NOW - timedelta(hours=1), open=Decimal(1), high=Decimal(2), low=Decimal(1),
            close=Decimal(2))]  # fmt: skip


def request(**fields: object) -> HistoryRequest:
    base: dict[str, object] = {
        "request_id": "r1", "instrument": Instrument(symbol="AAPL"), "duration": "1D",
        "bar_size": "1h", "end": NOW - timedelta(days=1),
    }  # fmt: skip
    return HistoryRequest(**{**base, **fields})  # type: ignore[arg-type]


def test_a_closed_window_is_served_again_whatever_the_request_id() -> None:
    cache = HistoryCache(10)
    assert cache.get(request()) is None
    assert cache.put(request(), BARS, NOW)
    assert cache.get(request(request_id="r2")) == BARS


def test_every_field_of_the_request_is_part_of_the_key() -> None:
    cache = HistoryCache(10)
    cache.put(request(), BARS, NOW)
    for changed in (
        {"instrument": Instrument(symbol="MSFT")},
        {"duration": "2D"},
        {"bar_size": "30m"},
        {"end": NOW - timedelta(days=2)},
        {"what_to_show": "MIDPOINT"},
        {"use_rth": False},
    ):
        assert cache.get(request(**changed)) is None, changed


def test_an_open_window_is_never_kept() -> None:
    cache = HistoryCache(10)
    assert not cache.put(request(end=None), BARS, NOW)  # up to now: grows with every bar
    assert not cache.put(request(end=NOW + timedelta(hours=1)), BARS, NOW)  # not over yet
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = HistoryCache(2)
    first, second, third = (request(duration=f"{n}D") for n in (1, 2, 3))
    cache.put(first, BARS, NOW)
    cache.put(second, BARS, NOW)
    assert cache.get(first) == BARS  # first is now the most recent
    cache.put(third, BARS, NOW)
    assert cache.get(second) is None
    assert cache.get(first) == BARS and cache.get(third) == BARS
    assert not HistoryCache(0).put(first, BARS, NOW)  # 0: no cache
