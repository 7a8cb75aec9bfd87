"""Subscriptions: reference counts, de-duplication, the line budget and broker refusals."""

from __future__ import annotations

import msgspec
import pytest

from sluice_market_data.domain import SubscriptionRegistry, end_subscription
from sluice_proto.market_data import (
    MdRefusalReason,
    MdStart,
    MdStop,
    MdSubscriptionRejected,
    MdTick,
)
from tests.market_data.factories import AAPL, MSFT, T0, stock


def test_the_first_subscriber_starts_the_stream_and_later_ones_share_it() -> None:
    registry = SubscriptionRegistry()
    assert registry.subscribe("alpha", AAPL, T0) == [MdStart(instrument=AAPL, ts=T0)]
    assert registry.subscribe("beta", AAPL, T0) == []
    assert registry.subscribers(AAPL.key) == {"alpha", "beta"}
    assert registry.lines_in_use == 1


def test_a_repeated_subscription_counts_once() -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("alpha", AAPL, T0)
    registry.subscribe("alpha", AAPL, T0)
    assert registry.unsubscribe("alpha", AAPL, T0) == [MdStop(instrument=AAPL, ts=T0)]
    assert not registry.is_active(AAPL.key)


def test_only_the_last_unsubscribe_frees_the_line() -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("alpha", AAPL, T0)
    registry.subscribe("beta", AAPL, T0)
    assert registry.unsubscribe("alpha", AAPL, T0) == []
    assert registry.is_active(AAPL.key)
    assert registry.unsubscribe("beta", AAPL, T0) == [MdStop(instrument=AAPL, ts=T0)]
    assert registry.lines_in_use == 0


def test_unsubscribing_what_was_never_subscribed_does_nothing() -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("alpha", AAPL, T0)
    assert registry.unsubscribe("stranger", AAPL, T0) == []
    assert registry.unsubscribe("alpha", MSFT, T0) == []
    assert registry.subscribers(AAPL.key) == {"alpha"}


def test_the_budget_is_enforced_before_the_router_is_asked() -> None:
    registry = SubscriptionRegistry(line_budget=100)
    for n in range(100):
        assert registry.subscribe("alpha", stock(n), T0) == [MdStart(instrument=stock(n), ts=T0)]
    (rejected,) = registry.subscribe("beta", stock(100), T0)
    assert isinstance(rejected, MdSubscriptionRejected)
    assert (rejected.reason_code, rejected.subscriber_id) == ("LINE_BUDGET_EXHAUSTED", "beta")
    assert "100 of 100 lines in use" in rejected.message
    assert "SLUICE_MD_LINE_BUDGET" in rejected.message
    assert registry.lines_in_use == 100
    assert registry.subscribe("beta", stock(5), T0) == []  # sharing a line is always possible


def test_a_freed_line_can_be_used_again() -> None:
    registry = SubscriptionRegistry(line_budget=1)
    registry.subscribe("alpha", AAPL, T0)
    assert isinstance(registry.subscribe("alpha", MSFT, T0)[0], MdSubscriptionRejected)
    registry.unsubscribe("alpha", AAPL, T0)
    assert registry.subscribe("alpha", MSFT, T0) == [MdStart(instrument=MSFT, ts=T0)]


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SubscriptionRegistry(line_budget=0)


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        ("UNKNOWN_INSTRUMENT", "UNKNOWN_INSTRUMENT"),
        ("LINE_LIMIT", "LINE_LIMIT"),
        ("NOT_SUBSCRIBED", "NOT_SUBSCRIBED"),
        ("NO_PERMISSION", "NO_PERMISSION"),
        ("AMBIGUOUS_INSTRUMENT", "AMBIGUOUS_INSTRUMENT"),
    ],
)
def test_a_refused_stream_frees_the_line_and_tells_every_subscriber(
    refusal: MdRefusalReason, reason: str
) -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("beta", AAPL, T0)
    registry.subscribe("alpha", AAPL, T0)
    refused = MdTick(instrument=AAPL, error_text="IBKR 1: refused", reason=refusal, ts=T0)
    stop, *rejections = end_subscription(registry, refused, T0)
    assert stop == MdStop(instrument=AAPL, ts=T0)
    assert [(r.subscriber_id, r.reason_code) for r in rejections] == [  # type: ignore[union-attr]
        ("alpha", reason),
        ("beta", reason),
    ]
    assert rejections[0].message == "IBKR 1: refused"  # type: ignore[union-attr]
    assert not registry.is_active(AAPL.key)


def test_an_ambiguous_instrument_is_refused_with_the_candidates_the_router_relayed() -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("alpha", AAPL, T0)
    candidates = [msgspec.structs.replace(AAPL, con_id=n) for n in (265598, 38708077)]
    refused = MdTick(instrument=AAPL, reason="AMBIGUOUS_INSTRUMENT", candidates=candidates, ts=T0)
    _, rejection = end_subscription(registry, refused, T0)
    assert isinstance(rejection, MdSubscriptionRejected)
    assert (rejection.reason_code, rejection.candidates) == ("AMBIGUOUS_INSTRUMENT", candidates)


def test_a_notice_without_a_reason_leaves_the_subscription_alone() -> None:
    registry = SubscriptionRegistry()
    registry.subscribe("alpha", AAPL, T0)
    delayed = MdTick(instrument=AAPL, error_code=10167, error_text="delayed data", ts=T0)
    assert end_subscription(registry, delayed, T0) == []
    assert registry.is_active(AAPL.key)
    unknown = MdTick(instrument=MSFT, error_code=200, reason="UNKNOWN_INSTRUMENT", ts=T0)
    assert end_subscription(registry, unknown, T0) == []  # not subscribed here
