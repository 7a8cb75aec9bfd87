"""The order-router's liveness on a fake clock: heartbeats keep the session, silence halts it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, SessionMachine, WindowSpec
from tests.session_keeper.factories import T0, auth, connection, heartbeat

BOUND = timedelta(seconds=5)


def machine(
    path: str = "socket", calendar: ResetCalendar | None = None, **policy: Any
) -> SessionMachine:
    settings: dict[str, Any] = {"egress_check_interval": None, "router_silent_after": BOUND}
    return SessionMachine(
        "DU123456",
        KeeperPolicy(path=path, **{**settings, **policy}),  # type: ignore[arg-type]
        calendar or ResetCalendar(),
        T0,
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(m: SessionMachine, now: datetime) -> tuple[str, bool]:
    verdict = m.verdict(now)
    return verdict.state, verdict.trading_allowed


def test_heartbeats_within_the_bound_keep_the_session_up() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    for second in range(1, 30):
        m.apply(heartbeat(at=at(second)), at(second))
        assert state(m, at(second + 4.9)) == ("UP", True)


def test_a_silent_router_halts_the_account_and_gets_no_commands() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    m.apply(heartbeat(at=at(1)), at(1))
    assert state(m, at(6)) == ("UP", True)  # exactly the bound: not over it yet
    step = m.tick(at(6.5))
    assert step.state is not None
    assert (step.state.state, step.state.trading_allowed) == ("ROUTER_SILENT", False)
    assert "no heartbeat from the order-router for over 5 s" in step.state.reason
    assert step.commands == []  # nobody would answer: a restarted router would find them queued
    assert m.tick(at(20)).state is None  # the same reason: not published again before due


def test_a_silent_router_wins_over_a_reset_window() -> None:
    spec = WindowSpec("gateway-restart", time(10, 0), ZoneInfo("America/New_York"), BOUND * 60)
    m = machine(calendar=ResetCalendar((spec,)))  # T0 is 10:00 in New York: inside the window
    m.apply(connection("connected"), T0)
    assert state(m, at(1))[0] == "RESET_WINDOW"
    assert state(m, at(10))[0] == "ROUTER_SILENT"


def test_a_restarted_router_trades_again_once_its_link_is_up() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    assert state(m, at(10)) == ("ROUTER_SILENT", False)

    m.apply(heartbeat(link_up=False, at=at(11)), at(11))  # a new process, not connected yet
    assert state(m, at(11)) == ("UNKNOWN", False)
    m.apply(heartbeat(link_up=False, at=at(12)), at(12))
    assert state(m, at(12)) == ("UNKNOWN", False)
    m.apply(connection("connected", at=at(12.5)), at(12.5))
    assert state(m, at(12.5)) == ("UP", True)


def test_a_router_heard_again_with_its_link_up_trades_again() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    m.tick(at(10))
    m.apply(heartbeat(link_up=True, at=at(11)), at(11))  # e.g. the bus came back
    assert state(m, at(11)) == ("UP", True)


def test_after_a_silence_the_old_connection_report_is_not_trusted() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    m.apply(connection("disconnected", at=at(20)), at(20))  # what the new router says first
    assert state(m, at(20)) == ("DOWN", False)
    m.apply(heartbeat(link_up=True, at=at(21)), at(21))  # its own report decides, not a beat
    assert state(m, at(21)) == ("DOWN", False)


def test_liveness_is_judged_by_the_keepers_clock_not_the_routers() -> None:
    m = machine()
    m.apply(connection("connected"), T0)
    skewed = heartbeat(at=at(-3600))  # the router's clock is an hour behind
    m.apply(skewed, at(4))
    assert state(m, at(8)) == ("UP", True)


def test_a_replayed_heartbeat_is_not_news_of_a_live_router() -> None:
    restart = at(3600)
    m = machine()
    m.apply(connection("connected"), restart, live=False)
    m.apply(heartbeat(at=at(3599)), restart, live=False)  # sent a second before the restart
    m.replayed(restart)
    assert state(m, restart + BOUND) == ("UP", True)  # the router has one bound to show up
    assert state(m, restart + BOUND * 2) == ("ROUTER_SILENT", False)


def test_a_replay_without_reports_watches_nothing_yet() -> None:
    m = machine()
    m.replayed(T0)
    assert state(m, at(600))[0] == "UNKNOWN"  # no router yet: not silent, just unknown


def test_without_a_bound_a_silent_router_is_not_watched() -> None:
    m = machine(router_silent_after=None)
    m.apply(connection("connected"), T0)
    assert state(m, at(3600)) == ("UP", True)


def test_on_the_rest_path_a_router_back_is_asked_for_its_auth_status() -> None:
    m = machine(path="rest")
    m.apply(auth(), T0)
    m.tick(at(1))
    assert state(m, at(10))[0] == "ROUTER_SILENT"
    m.apply(heartbeat(link_up=True, path="rest", at=at(11)), at(11))
    assert state(m, at(11)) == ("UNKNOWN", False)  # a transport up says nothing of the session
    assert [c.command for c in m.tick(at(11)).commands] == ["auth_status"]
    m.apply(auth(at=at(12)), at(12))
    assert state(m, at(12)) == ("UP", True)
