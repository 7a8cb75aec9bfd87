"""A deferred signal is kept once, on its order in the ledger: the waiting signals (the
``Deferrals`` view) and the ``deferred`` orders cannot disagree, live or restored."""

from __future__ import annotations

import pytest

from sluice_proto import (
    ApprovedOrder,
    CancelRequest,
    OrderCancelled,
    OrderExpired,
    OrderParked,
    OrderRejected,
    OrderReleased,
)
from sluice_proto.codec import decode
from sluice_proto.risk_state import RiskOrderState
from sluice_proto.topics import RISK_STATE
from sluice_risk.domain.changelog import Changelog, Keyed, restore
from sluice_risk.domain.orders import DecidedOrder
from sluice_risk.domain.state import RiskState
from tests.risk.factories import ACCOUNT, NOW, engine, later, quote, session, signal


def waiting_ids(state: RiskState) -> set[str]:
    """The signals the view says wait, after checking that the ledger says the same."""
    rows = state.orders.all()
    deferred_rows = {o.client_order_id for o in rows if o.status == "deferred"}
    carrying = {o.client_order_id for o in rows if o.deferred is not None}
    view = {d.signal.client_order_id for _, d in state.deferrals}
    assert deferred_rows == carrying == view
    assert len(state.deferrals) == len(view)
    return view


def restored(records: list[Keyed]) -> RiskState:
    fresh = engine(ready=False)
    for _, record in records:
        restore(fresh.state, record)
    return fresh.state


def cid(signal_id: str) -> str:
    return signal(signal_id).client_order_id


def test_the_waiting_signals_are_the_deferred_orders_through_every_way_out() -> None:
    risk = engine()
    changelog, records = Changelog(risk.state, 5), []

    def waiting(at: float) -> set[str]:
        """Both copies agree, live and restored from the changelog so far."""
        records.extend(changelog.drain(later(at)))
        live = waiting_ids(risk.state)
        assert waiting_ids(restored(records)) == live
        return live

    risk.decide(signal("e", symbol="MSFT"), NOW)  # waits for a quote until later(2)
    risk.state.on_session(session(allowed=False, ts=later(0.5)))
    for signal_id, expiry in (("a", None), ("b", None), ("c", later(3)), ("d", None)):
        risk.decide(signal(signal_id, expires_at=expiry), later(1))
    assert waiting(1) == {cid(s) for s in "abcde"}

    cancelled = risk.decide(CancelRequest(strategy_id="strat", signal_id="b"), later(1.5))
    assert isinstance(cancelled, OrderCancelled)
    assert waiting(1.5) == {cid(s) for s in "acde"}

    # a final event about a deferred order (as if it were cancelled elsewhere) ends its wait:
    # with the status and the waiting signal kept apart, it could still have been decided
    elsewhere = OrderCancelled(
        client_order_id=cid("d"), account=ACCOUNT, strategy_id="strat", signal_id="d",
        reason="cancelled elsewhere", ts=later(1.6),
    )  # fmt: skip
    risk.state.on_order_event(elsewhere)
    assert waiting(1.6) == {cid(s) for s in "ace"}

    [parked] = risk.revisit(ACCOUNT, later(2))  # e's quote wait ended in the session gap
    assert isinstance(parked, OrderParked) and parked.client_order_id == cid("e")
    assert waiting(2) == {cid(s) for s in "ace"}

    [expired] = risk.revisit(ACCOUNT, later(3))
    assert isinstance(expired, OrderExpired) and expired.client_order_id == cid("c")
    assert waiting(3) == {cid("a"), cid("e")}

    risk.state.on_session(session(ts=later(4)))
    risk.state.on_quote(quote(ts=later(4)))
    decisions = risk.revisit(ACCOUNT, later(4))
    assert {(type(d).__name__, d.client_order_id) for d in decisions} == {
        ("OrderReleased", cid("a")), ("ApprovedOrder", cid("a")),
        ("OrderReleased", cid("e")), ("AwaitingQuote", cid("e")),
    }  # fmt: skip
    assert waiting(4) == {cid("e")}  # released, it waits for MSFT's quote again

    [rejected] = risk.revisit(ACCOUNT, later(60))
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "NO_QUOTE"
    assert waiting(60) == set()


def test_a_changelog_written_before_the_ledger_kept_the_signal_restores_the_wait() -> None:
    """The wire format did not change: the old writer's record (status ``deferred``, the
    signal in ``deferred``) brings the wait back, and it goes on."""
    old = f"""{{"type": "risk_order_state", "client_order_id": "{cid("old")}",
        "account": "{ACCOUNT}", "strategy_id": "strat", "signal_id": "old",
        "instrument": {{"symbol": "AAPL"}}, "side": "BUY", "quantity": "10",
        "status": "deferred", "limit_price": "100", "ts": "2025-01-06T15:00:01Z",
        "deferred": {{"signal": {{"signal_id": "old", "strategy_id": "strat", "symbol": "AAPL",
            "side": "BUY", "quantity": "10", "order_type": "LMT", "limit_price": "100",
            "created_at": "2025-01-06T15:00:00Z"}},
          "kind": "session", "deadline": "2025-01-06T21:00:00Z",
          "expires_at": "2025-01-06T21:00:00Z", "parked": true}}}}"""
    risk = engine()
    restore(risk.state, decode(RISK_STATE, old.encode()))
    assert waiting_ids(risk.state) == {cid("old")}
    released, approved = risk.revisit(ACCOUNT, later(2))
    assert isinstance(released, OrderReleased) and isinstance(approved, ApprovedOrder)
    assert waiting_ids(risk.state) == set()


def test_a_deferred_record_without_its_signal_is_restored_as_expired() -> None:
    """Nothing could ever decide it, so it is not left waiting (the old writer never wrote
    one; a view out of step with the ledger could have)."""
    risk = engine(ready=False)
    risk.decide(signal("x"), NOW)  # no session verdict: parked
    [(_, record)] = Changelog(risk.state, 5).drain(NOW)
    assert isinstance(record, RiskOrderState) and record.deferred is not None
    record.deferred = None
    state = restored([("order|x", record)])
    assert waiting_ids(state) == set()
    assert state.orders.get(cid("x")).status == "expired"  # type: ignore[union-attr]


def test_the_ledger_refuses_a_deferred_order_without_its_signal() -> None:
    order = DecidedOrder(
        client_order_id="x", account=ACCOUNT, strategy_id="strat", signal_id="x",
        instrument=signal().instrument, side="BUY", quantity=signal().quantity,
        status="deferred",
    )  # fmt: skip
    with pytest.raises(ValueError, match="without its signal"):
        engine().state.orders.record(order)
