"""Each service's /metrics shows the trading metrics, and they move as one order fills."""

from __future__ import annotations

import pytest

from sluice_proto.topics import SIGNALS
from tests.support.order_lifecycle import Lifecycle

pytestmark = pytest.mark.integration


def moved(lifecycle: Lifecycle, service: str, name: str, **labels: str) -> float:
    """How much a sample grew between the two scrapes."""
    after = lifecycle.after[service].value(name, **labels)
    return after - lifecycle.before[service].value(name, **labels)


def test_risk_counts_the_approval_and_times_it(lifecycle: Lifecycle) -> None:
    approvals = {"outcome": "order_approved", "reason": ""}
    assert moved(lifecycle, "risk", "sluice_risk_decisions_total", **approvals) == 1
    assert moved(lifecycle, "risk", "sluice_risk_signal_to_approval_seconds_count") == 1
    handled = moved(
        lifecycle, "risk", "sluice_events_handled_total", topic=SIGNALS, group="sluice-risk"
    )
    assert handled == 1


def test_the_router_counts_each_lifecycle_step_and_times_the_ack(lifecycle: Lifecycle) -> None:
    account = lifecycle.account
    for event in ("order_submitting", "order_submitted", "order_filled"):
        name = "sluice_router_order_events_total"
        assert moved(lifecycle, "order-router", name, account=account, event=event) == 1, event
    ack = "sluice_router_approval_to_ack_seconds_count"
    assert moved(lifecycle, "order-router", ack, account=account) == 1
    after = lifecycle.after["order-router"]
    assert after.value("sluice_router_orders_held", account=account) == 0
    assert after.value("sluice_router_orders_in_doubt", account=account) == 0
    paced = moved(
        lifecycle, "order-router", "sluice_ibkr_pacing_wait_seconds_count",
        account=account, path="socket",
    )  # fmt: skip
    assert paced > 0


def test_the_keeper_shows_the_session_up_and_trading_allowed(lifecycle: Lifecycle) -> None:
    keeper, account = lifecycle.after["session-keeper"], lifecycle.account
    assert keeper.value("sluice_session_state", account=account, state="UP") == 1
    assert keeper.value("sluice_session_state", account=account, state="DOWN") == 0
    assert keeper.value("sluice_session_trading_allowed", account=account) == 1
    assert keeper.value("sluice_egress_verdict", account=account, status="unchecked") == 1


@pytest.mark.parametrize("service", ["risk", "order-router", "session-keeper", "market-data"])
def test_every_service_reports_consumer_lag_and_dead_letters(
    lifecycle: Lifecycle, service: str
) -> None:
    names = lifecycle.after[service].names
    assert "sluice_consumer_lag" in names
    assert "sluice_events_dead_lettered" in names
    lags = [
        v for (n, _), v in lifecycle.after[service].samples.items() if n == "sluice_consumer_lag"
    ]
    assert lags and all(lag >= 0 for lag in lags)
