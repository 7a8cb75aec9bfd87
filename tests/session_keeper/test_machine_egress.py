"""Egress verdicts in the keeper: a check that could not run is not a mismatch, holds trading
only while an expected IP is configured, and clears on a good check or a restart on another path."""

from __future__ import annotations

from typing import Any

from sluice_proto.session import EgressReport
from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, SessionMachine
from tests.session_keeper.factories import ACCOUNT, T0, auth, connection

EXPECTED = "203.0.113.7, 203.0.113.8"


def machine(path: str) -> SessionMachine:
    policy = KeeperPolicy(path=path, egress_check_interval=None)  # type: ignore[arg-type]
    return SessionMachine(ACCOUNT, policy, ResetCalendar(), T0)


def rest_up() -> SessionMachine:
    m = machine("rest")
    m.apply(auth(), T0)
    return m


def report(**fields: Any) -> EgressReport:
    values: dict[str, Any] = {"ok": True, "observed_ip": None, "expected_ip": None}
    values.update(fields)
    return EgressReport(account=ACCOUNT, ts=T0, **values)


def test_an_old_failed_check_without_expected_ip_no_longer_blocks_trading() -> None:
    m = rest_up()  # what older routers sent when /sso/validate failed: "sees None, expected None"
    m.apply(report(ok=False, message="could not read the IP IBKR sees"), T0)
    assert m.verdict(T0).state == "UP"


def test_unknown_holds_while_an_expected_ip_is_configured_and_a_good_check_clears_it() -> None:
    m = rest_up()
    unknown = "egress unknown: could not check (proxy down); trading held until it can"
    m.apply(report(ok=False, status="unknown", expected_ip=EXPECTED, message=unknown), T0)
    verdict = m.verdict(T0)
    assert (verdict.state, verdict.trading_allowed) == ("UNKNOWN", False)
    assert "egress unknown" in verdict.reason
    assert "mismatch" not in verdict.reason
    m.apply(report(status="ok", observed_ip="203.0.113.8", expected_ip=EXPECTED), T0)
    assert m.verdict(T0).state == "UP"


def test_unknown_without_an_expected_ip_does_not_hold() -> None:
    m = rest_up()
    m.apply(report(ok=True, status="unknown", path="rest"), T0)
    assert m.verdict(T0).state == "UP"


def test_a_mismatch_still_holds() -> None:
    m = rest_up()
    m.apply(
        report(ok=False, status="mismatch", observed_ip="198.51.100.9", expected_ip=EXPECTED), T0
    )
    assert m.verdict(T0).state == "EGRESS_MISMATCH"


def test_a_restart_on_another_path_clears_a_stale_verdict() -> None:
    m = machine("socket")
    stale = report(ok=False, observed_ip="198.51.100.9", expected_ip="203.0.113.7")  # no path: REST
    m.apply(stale, T0)
    assert m.verdict(T0).state == "EGRESS_MISMATCH"
    m.apply(connection("connected", path="socket"), T0)
    assert m.verdict(T0).state == "UP"


def test_unchecked_does_not_hold() -> None:
    m = machine("socket")
    m.apply(connection("connected"), T0)
    m.apply(report(status="unchecked", path="socket", expected_ip="203.0.113.7"), T0)
    assert m.verdict(T0).state == "UP"
