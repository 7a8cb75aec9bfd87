"""What the operator commands show, folded from events (no broker)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_cli.on_kafka import show
from sluice_cli.operator_state import (
    BROKER_PNL_COLUMNS,
    fold,
    global_kill,
    order_rows,
    pnl_rows,
    status_rows,
)
from sluice_cli.state_commands import BROKER_COLUMNS
from sluice_proto import (
    BrokerPnl,
    EgressReport,
    Instrument,
    OrderAccepted,
    PositionState,
    RiskAccountState,
    RiskOrderState,
    SessionState,
)
from sluice_proto.risk_state import PositionDrift

AAPL = Instrument(symbol="AAPL")


def position(account: str, quantity: str, realised: str, unrealised: str) -> PositionState:
    return PositionState(
        account=account,
        instrument=AAPL,
        quantity=Decimal(quantity),
        avg_cost=Decimal(100),
        realised_pnl=Decimal(realised),
        unrealised_pnl=Decimal(unrealised),
    )


def order(coid: str, status: str) -> RiskOrderState:
    return RiskOrderState(
        client_order_id=coid,
        account="DU1",
        strategy_id="s",
        signal_id=coid,
        instrument=AAPL,
        side="BUY",
        quantity=Decimal(1),
        status=status,  # type: ignore[arg-type]
    )


def test_pnl_sums_the_latest_position_of_each_instrument() -> None:
    state = fold(
        [
            position("DU1", "5", "0", "3"),
            position("DU1", "2", "10", "-1"),  # the same line, later: replaces the first
            RiskAccountState(account="DU1", day_realised_pnl=Decimal(10)),
        ]
    )

    [row] = pnl_rows(state, None)

    assert row == {
        "account": "DU1",
        "realised": "10",
        "unrealised": "-1",
        "total": "9",
        "day_realised": "10",
        "killed": False,
        **dict.fromkeys(BROKER_PNL_COLUMNS),  # the broker has not reported
    }


def test_pnl_shows_the_brokers_figures_beside_sluices_in_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = BrokerPnl(
        account="DU1234567", daily_pnl=Decimal("-12345.67"), unrealized_pnl=Decimal("-2345.5"),
        realized_pnl=Decimal("-10000.17"), net_liquidation=Decimal("987654.32"),
    )  # fmt: skip
    state = fold([position("DU1234567", "5", "-10001.25", "-2345.75"), broker])

    [row] = pnl_rows(state, None)
    assert (row["realised"], row["broker_daily"], row["broker_unrealised"]) == (
        "-10001.25", "-12345.67", "-2345.5"
    )  # fmt: skip
    assert (row["broker_realised"], row["broker_net_liquidation"]) == ("-10000.17", "987654.32")
    assert row["broker_market_value"] is None

    monkeypatch.setenv("COLUMNS", "80")
    show([row], title="PnL", as_json=False, empty="", columns=BROKER_COLUMNS)
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    [figures] = [line for line in lines if "DU1234567" in line]  # no figure folded
    assert all(f in figures for f in ("-10001.25", "-12345.67", "-2345.5", "-10000.17"))


def test_orders_are_the_open_ones_with_their_latest_step() -> None:
    state = fold(
        [
            order("a", "open"),
            order("b", "open"),
            order("b", "filled"),
            OrderAccepted(client_order_id="a", account="DU1", broker_order_id=1),
        ]
    )

    assert [(r["client_order_id"], r["step"]) for r in order_rows(state, None, False)] == [
        ("a", "order_accepted")
    ]
    assert {r["client_order_id"] for r in order_rows(state, None, True)} == {"a", "b"}
    assert order_rows(state, "DU2", True) == []


def test_status_shows_the_session_egress_and_a_global_kill() -> None:
    state = fold(
        [
            SessionState(account="DU1", state="UP", trading_allowed=True, reason="ok"),
            EgressReport(account="DU1", ok=False, observed_ip="1.2.3.4", expected_ip="5.6.7.8"),
            RiskAccountState(account="*", killed=True, kill_reason="drill"),
        ]
    )

    [row] = status_rows(state, "DU1")

    assert (row["session"], row["trading_allowed"], row["egress"]) == ("UP", True, "mismatch")
    assert (row["kill_switch"], row["kill_reason"]) == (True, "drill")
    assert global_kill(state) == {"kill_switch": True, "kill_reason": "drill"}


def test_status_shows_a_position_drift_halt_until_risk_writes_it_lifted() -> None:
    drift = PositionDrift(instrument=AAPL, book=Decimal(0), broker=Decimal(100))
    halted = fold([RiskAccountState(account="DU1", drift=[drift])])
    [row] = status_rows(halted, "DU1")
    assert row["position_drift"] == "AAPL book 0 broker 100"
    lifted = fold([RiskAccountState(account="DU1", drift=[drift]), RiskAccountState(account="DU1")])
    assert status_rows(lifted, "DU1")[0]["position_drift"] == ""
