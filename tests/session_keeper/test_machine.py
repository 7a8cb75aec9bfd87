"""The session state machine on a fake clock: every transition, cadence, backoff and window."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, SessionMachine, WindowSpec
from tests.session_keeper.factories import ACCOUNT, T0, FakeClock, auth, connection, egress

NO_EGRESS_CHECKS: dict[str, Any] = {"egress_check_interval": None}


def machine(
    path: str = "socket", calendar: ResetCalendar | None = None, **policy: Any
) -> SessionMachine:
    settings = {**NO_EGRESS_CHECKS, **policy}
    return SessionMachine(
        ACCOUNT,
        KeeperPolicy(path=path, **settings),
        calendar or ResetCalendar(),
        T0,  # type: ignore[arg-type]
    )


def commands(m: SessionMachine, now: datetime) -> list[str]:
    return [command.command for command in m.tick(now).commands]


def test_it_starts_unknown_and_probes_the_router() -> None:
    m = machine()
    step = m.tick(T0)
    assert step.state is not None
    assert (step.state.state, step.state.trading_allowed) == ("UNKNOWN", False)
    assert step.state.account == ACCOUNT
    assert [c.command for c in step.commands] == ["auth_status"]


@pytest.mark.parametrize(
    ("status", "state", "allowed", "recovery"),
    [
        ("connected", "UP", True, []),
        ("restored_data_kept", "UP", True, []),
        ("restored_data_lost", "UP", True, []),
        ("lost", "DEGRADED", False, []),
        ("disconnected", "DOWN", False, ["reconnect"]),
        ("client_id_in_use", "DOWN", False, ["reconnect"]),
        ("refused", "DOWN", False, ["reconnect"]),
        ("proxy_down", "DOWN", False, ["reconnect"]),
    ],
)
def test_socket_reports_drive_the_state(
    status: str, state: str, allowed: bool, recovery: list[str]
) -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    m.tick(T0)
    m.apply(connection(status, code=1100), T0)
    step = m.tick(T0)
    published = m.verdict(T0)
    assert (published.state, published.trading_allowed) == (state, allowed)
    assert [c.command for c in step.commands] == recovery


def test_a_client_id_clash_names_the_id() -> None:
    m = machine()
    m.apply(connection("client_id_in_use", client_id=7, code=326), T0)
    assert "client id 7 already in use (326)" in m.verdict(T0).reason


@pytest.mark.parametrize(
    ("fields", "state", "recovery"),
    [
        ({}, "UP", []),
        ({"competing": True}, "COMPETING", []),
        ({"authenticated": False}, "DOWN", ["reauthenticate"]),
        ({"connected": False}, "DOWN", ["reauthenticate"]),
        ({"sso_expires_s": 120}, "EXPIRING", ["reauthenticate"]),
        ({"sso_expires_s": 3600}, "UP", []),
        ({"ok": False, "http_status": 401}, "DOWN", ["reauthenticate"]),
        ({"ok": False, "http_status": 400, "message": "no bridge"}, "DOWN", ["reauthenticate"]),
        ({"ok": False, "http_status": 503}, "DOWN", ["auth_status"]),
        ({"ok": False, "http_status": 429}, "DOWN", []),  # the penalty box: nothing at all
    ],
)
def test_rest_auth_status_drives_the_state(
    fields: dict[str, Any], state: str, recovery: list[str]
) -> None:
    m = machine("rest")
    m.apply(auth(), T0)
    m.tick(T0)  # the first tickle goes out here
    m.apply(auth(**fields), T0)
    assert m.verdict(T0).state == state
    assert m.verdict(T0).trading_allowed is (state == "UP")
    assert commands(m, T0) == recovery


def test_a_rest_transport_connected_is_not_up_without_an_authenticated_session() -> None:
    m = machine("rest")
    m.apply(auth(authenticated=False), T0)
    m.apply(connection("connected", path="rest"), T0)
    assert (m.verdict(T0).state, m.verdict(T0).trading_allowed) == ("DOWN", False)
    m.apply(auth(connected=False), T0)
    m.apply(connection("connected", path="rest"), T0)
    assert m.verdict(T0).trading_allowed is False
    m.apply(auth(), T0)
    m.apply(connection("disconnected", path="rest"), T0)
    m.apply(connection("connected", path="rest"), T0)
    assert m.verdict(T0).state == "UP"  # the latest auth status is authenticated && connected


def test_a_rest_transport_connected_before_any_auth_status_asks_for_one() -> None:
    m = machine("rest")
    m.apply(connection("connected", path="rest"), T0)
    step = m.tick(T0)
    assert step.state is not None
    assert (step.state.state, step.state.trading_allowed) == ("UNKNOWN", False)
    assert "auth_status" in [c.command for c in step.commands]


def test_a_competing_session_is_reclaimed_only_when_configured() -> None:
    m = machine("rest", reclaim_competing=True)
    m.tick(T0)
    m.apply(auth(competing=True), T0)
    assert commands(m, T0 + timedelta(seconds=2)) == ["reauthenticate"]


def test_rest_tickles_every_interval_and_socket_never_does() -> None:
    rest, socket = machine("rest"), machine()
    for m in (rest, socket):
        m.apply(auth() if m is rest else connection("connected"), T0)
    assert commands(rest, T0) == ["tickle"]
    assert commands(rest, T0 + timedelta(seconds=59)) == []
    assert commands(rest, T0 + timedelta(seconds=60)) == ["tickle"]
    assert commands(rest, T0 + timedelta(seconds=119)) == []
    assert commands(rest, T0 + timedelta(seconds=120)) == ["tickle"]
    assert all(commands(socket, T0 + timedelta(seconds=s)) == [] for s in (0, 60, 600))


def test_recovery_backs_off_exponentially_up_to_the_cap() -> None:
    m = machine(backoff_initial=timedelta(seconds=2), backoff_cap=timedelta(seconds=30))
    clock = FakeClock()
    m.apply(connection("disconnected"), clock.now)
    sent_at = []
    for _ in range(200):
        if commands(m, clock.now) == ["reconnect"]:
            sent_at.append(clock.now)
        clock.advance(1)
    gaps = [int((b - a).total_seconds()) for a, b in itertools.pairwise(sent_at)]
    assert gaps[:6] == [2, 4, 8, 16, 30, 30]


def test_recovery_resets_after_the_session_is_healthy_again() -> None:
    m = machine()
    m.apply(connection("disconnected"), T0)
    assert commands(m, T0) == ["reconnect"]  # next allowed at T0 + 2 s
    assert commands(m, T0 + timedelta(seconds=2)) == ["reconnect"]  # next at + 4 s
    later = T0 + timedelta(seconds=10)
    m.apply(connection("connected"), later)
    m.apply(connection("disconnected"), later)
    assert commands(m, later) == ["reconnect"]
    assert commands(m, later + timedelta(seconds=1)) == []
    assert commands(m, later + timedelta(seconds=2)) == ["reconnect"]


def test_a_flapping_session_still_waits_out_the_last_delay() -> None:
    m = machine()
    m.apply(connection("disconnected"), T0)
    assert commands(m, T0) == ["reconnect"]
    soon = T0 + timedelta(seconds=1)
    m.apply(connection("connected"), soon)
    m.apply(connection("disconnected"), soon)
    assert commands(m, soon) == []
    assert commands(m, T0 + timedelta(seconds=2)) == ["reconnect"]


def test_a_429_silences_every_call_for_the_penalty_box() -> None:
    m = machine("rest", penalty_box=timedelta(minutes=15))
    assert commands(m, T0) == ["tickle", "auth_status"]
    m.apply(auth(ok=False, http_status=429), T0)
    quiet = [commands(m, T0 + timedelta(minutes=minute)) for minute in range(1, 15)]
    assert quiet == [[]] * 14
    assert commands(m, T0 + timedelta(minutes=15)) == ["tickle", "auth_status"]


def test_the_state_is_published_on_change_and_reasserted_periodically() -> None:
    m = machine(reassert_interval=timedelta(seconds=30))
    m.apply(connection("connected"), T0)
    first = m.tick(T0).state
    assert first is not None
    assert (first.state, first.trading_allowed, first.since) == ("UP", True, T0)
    assert m.tick(T0 + timedelta(seconds=10)).state is None
    again = m.tick(T0 + timedelta(seconds=30)).state
    assert again is not None
    assert (again.state, again.since, again.ts) == ("UP", T0, T0 + timedelta(seconds=30))
    lost_at = T0 + timedelta(seconds=31)
    m.apply(connection("lost", code=1100), lost_at)
    changed = m.publication(lost_at)
    assert changed is not None
    assert (changed.state, changed.trading_allowed, changed.since) == ("DEGRADED", False, lost_at)


def test_since_moves_with_the_state_not_with_the_reason() -> None:
    m = machine()
    m.apply(connection("disconnected"), T0)
    m.apply(connection("refused"), T0 + timedelta(seconds=5))
    state = m.publication(T0 + timedelta(seconds=5))
    assert state is not None
    assert (state.state, state.since) == ("DOWN", T0)
    assert "refused" in state.reason


NEW_YORK = ZoneInfo("America/New_York")
NIGHTLY = ResetCalendar((WindowSpec("iserver-reset", time(1, 0), NEW_YORK, timedelta(minutes=20)),))


def _reset_start() -> datetime:
    return datetime(2024, 6, 13, 1, 0, tzinfo=NEW_YORK)


def test_trading_is_held_through_a_reset_window_and_resumes_after() -> None:
    m = machine("rest", calendar=NIGHTLY, report_timeout=timedelta(hours=2))
    start = _reset_start()
    m.apply(auth(at=start - timedelta(minutes=1)), start - timedelta(minutes=1))
    m.tick(start - timedelta(minutes=1))
    held = m.tick(start).state
    assert held is not None
    assert (held.state, held.trading_allowed) == ("RESET_WINDOW", False)
    assert "iserver-reset" in held.reason
    end = start + timedelta(minutes=20)
    m.apply(auth(at=end - timedelta(seconds=1)), end - timedelta(seconds=1))
    resumed = m.tick(end)
    assert resumed.state is not None
    assert (resumed.state.state, resumed.state.trading_allowed) == ("UP", True)
    assert [c.command for c in resumed.commands] == ["tickle"]  # look again at once


def test_recovery_waits_for_the_window_to_end_then_goes_at_once() -> None:
    m = machine("rest", calendar=NIGHTLY, report_timeout=timedelta(hours=1))
    start = _reset_start()
    m.tick(start)
    m.apply(auth(at=start, ok=False, http_status=401), start)
    during = [commands(m, start + timedelta(minutes=minute)) for minute in (1, 5, 19)]
    assert all("reauthenticate" not in sent for sent in during)
    assert commands(m, start + timedelta(minutes=20)) == ["tickle", "reauthenticate"]


def test_an_egress_mismatch_disables_trading_above_everything_until_it_clears() -> None:
    m = machine("rest", calendar=NIGHTLY)
    m.apply(auth(), T0)
    m.apply(egress(False), T0)
    verdict = m.verdict(T0)
    assert (verdict.state, verdict.trading_allowed) == ("EGRESS_MISMATCH", False)
    assert "198.51.100.9" in verdict.reason
    assert "203.0.113.7" in verdict.reason
    assert m.verdict(_reset_start()).state == "EGRESS_MISMATCH"
    m.apply(egress(True), T0)
    assert m.verdict(T0).state == "UP"


def test_egress_is_checked_on_its_own_cadence() -> None:
    m = machine(egress_check_interval=timedelta(minutes=10))
    m.apply(connection("connected"), T0)
    assert commands(m, T0) == ["check_egress"]
    assert commands(m, T0 + timedelta(minutes=9)) == []
    assert commands(m, T0 + timedelta(minutes=10)) == ["check_egress"]


def test_rest_reports_going_quiet_means_down() -> None:
    m = machine("rest", report_timeout=timedelta(seconds=180))
    m.apply(auth(), T0)
    assert m.verdict(T0 + timedelta(seconds=180)).state == "UP"
    quiet = m.verdict(T0 + timedelta(seconds=181))
    assert (quiet.state, quiet.trading_allowed) == ("DOWN", False)
    assert "no session report" in quiet.reason


def test_socket_reports_stay_true_until_the_next_one() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    assert m.verdict(T0 + timedelta(days=3)).state == "UP"


def test_activation_acts_on_the_present_at_once() -> None:
    m = machine("rest", egress_check_interval=timedelta(minutes=10))
    m.apply(auth(), T0)
    m.tick(T0)
    later = T0 + timedelta(seconds=5)
    assert m.tick(later).state is None
    m.activate(later)
    step = m.tick(later)
    assert [c.command for c in step.commands] == ["tickle", "check_egress"]
    assert step.state is not None
    assert step.state.state == "UP"


def test_commands_carry_the_account_a_unique_id_and_the_reason() -> None:
    m = machine()
    m.apply(connection("proxy_down", message="SOCKS5 connect failed"), T0)
    (command,) = m.tick(T0).commands
    assert command.account == ACCOUNT
    assert command.command_id.startswith(f"{ACCOUNT}:reconnect:")
    assert command.reason == "the egress proxy is unreachable: SOCKS5 connect failed"
    assert command.issued_at == T0
