"""IBKR's historical pacing rules as the router keeps them, and IBKR's words for a request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluice_order_router.domain.history import (
    InvalidHistoryError,
    history_refusal,
    pacing_key,
    rest_bar,
    rest_period,
    tws_bar_size,
    tws_duration,
)
from sluice_order_router.domain.history_pacing import HistoryPacer, PacingKey
from sluice_proto import Instrument
from sluice_proto.history import HistoryRequest

MARGIN = 0.25


def key(contract: str = "AAPL", request: object = "a") -> PacingKey:
    return PacingKey(contract=(contract, "TRADES"), request=(contract, request))


def test_an_identical_request_waits_fifteen_seconds() -> None:
    pacer = HistoryPacer(margin_s=MARGIN)
    assert pacer.earliest(key(), 0.0) == 0.0
    pacer.sent(key(), 0.0)
    assert pacer.earliest(key(), 3.0) == 15.0 + MARGIN
    assert pacer.earliest(key(request="b"), 3.0) == 3.0  # a different request goes at once
    assert pacer.earliest(key(), 20.0) == 20.0


def test_a_sixth_request_for_one_contract_within_two_seconds_waits() -> None:
    pacer = HistoryPacer(margin_s=MARGIN)
    for n in range(5):
        assert pacer.earliest(key(request=n), n * 0.1) == n * 0.1
        pacer.sent(key(request=n), n * 0.1)
    assert pacer.earliest(key(request="sixth"), 0.5) == 2.0 + MARGIN
    assert pacer.earliest(key("MSFT"), 0.5) == 0.5  # another contract is not held
    other_type = PacingKey(contract=("AAPL", "BID"), request="bid")
    assert pacer.earliest(other_type, 0.5) == 0.5  # nor another tick type


def test_a_sixty_first_request_within_ten_minutes_waits() -> None:
    pacer = HistoryPacer(margin_s=MARGIN)
    for n in range(60):  # three seconds apart: no other rule binds
        now = n * 3.0
        assert pacer.earliest(key(str(n)), now) == now
        pacer.sent(key(str(n)), now)
    assert pacer.earliest(key("61st"), 180.0) == 600.0 + MARGIN
    assert pacer.earliest(key("61st"), 700.0) == 700.0  # the first has left the window


def test_requests_in_ibkrs_words() -> None:
    assert (tws_bar_size("5m"), tws_bar_size("1m"), tws_bar_size("1h")) == (
        "5 mins", "1 min", "1 hour"
    )  # fmt: skip
    assert (tws_bar_size("30s"), tws_bar_size("1d"), tws_bar_size("1mo")) == (
        "30 secs", "1 day", "1 month"
    )  # fmt: skip
    assert (tws_duration("1D"), tws_duration("3600S")) == ("1 D", "3600 S")
    assert (rest_bar("5m"), rest_bar("1h"), rest_period("2D"), rest_period("120S")) == (
        "5min", "1h", "2d", "2min"
    )  # fmt: skip
    for bad in ("7m", "5", "m5", "0m"):
        with pytest.raises(InvalidHistoryError):
            tws_bar_size(bad)
    with pytest.raises(InvalidHistoryError):
        rest_period("90S")  # the Web API counts whole minutes


def test_pacing_key_ignores_the_request_id() -> None:
    end = datetime(2026, 12, 1, tzinfo=UTC)

    def request(request_id: str, bar: str = "5s") -> HistoryRequest:
        return HistoryRequest(
            request_id=request_id, instrument=Instrument(symbol="AAPL", con_id=265598),
            duration="60S", bar_size=bar, end=end,
        )  # fmt: skip

    assert pacing_key(request("a")) == pacing_key(request("b"))
    assert pacing_key(request("a")).contract == pacing_key(request("a", "10s")).contract
    assert pacing_key(request("a")).request != pacing_key(request("a", "10s")).request


def test_ibkrs_refusals_in_the_contracts_words() -> None:
    pacing = "Historical Market Data Service error message:Historical data request pacing violation"
    assert history_refusal(162, pacing) == "PACING"
    assert history_refusal(162, "HMDS query returned no data: AAPL@SMART Trades") == "NO_DATA"
    assert (
        history_refusal(162, "Historical Market Data Service error message:Time length exceed max.")
        == "INVALID_REQUEST"
    )
    assert history_refusal(321, "Error validating request") == "INVALID_REQUEST"
    assert history_refusal(200, "No security definition") == "UNKNOWN_INSTRUMENT"
    assert history_refusal(354, "not subscribed") == "NOT_SUBSCRIBED"
    assert history_refusal(None, "?") == history_refusal(504, "?") == "BROKER_ERROR"
