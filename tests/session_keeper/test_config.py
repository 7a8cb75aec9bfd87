"""Environment variables become the policy and the reset calendar of the configured path."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from sluice_runtime import ConfigError, read_settings
from sluice_session_keeper.config import KeeperSettings


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> KeeperSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return read_settings(KeeperSettings)


def test_the_defaults_follow_ibkr(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = settings(monkeypatch).policy()
    assert policy.path == "socket"
    assert policy.tickle_interval == timedelta(seconds=60)
    assert policy.egress_check_interval == timedelta(minutes=10)


def test_the_rest_path_holds_through_the_regional_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = settings(
        monkeypatch,
        IBKR_API="rest",
        IBKR_ACCOUNT="DU1",
        SLUICE_SESSION_RESET_TZ="Asia/Hong_Kong",
        SLUICE_SESSION_TICKLE_INTERVAL_S="30",
        SLUICE_SESSION_EGRESS_CHECK_INTERVAL_S="0",
    )
    assert configured.account == "DU1"
    policy = configured.policy()
    assert (policy.path, policy.tickle_interval) == ("rest", timedelta(seconds=30))
    assert policy.egress_check_interval is None
    window = configured.calendar().active(datetime(2024, 1, 15, 17, 5, tzinfo=UTC))  # 01:05 HKT
    assert window is not None
    assert window.name == "iserver-reset"


def test_the_socket_path_holds_through_the_gateway_restart_and_the_weekly_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = settings(monkeypatch, SLUICE_SESSION_GATEWAY_RESTART_TIME="23:45")
    assert configured.gateway_restart_time == time(23, 45)
    calendar = configured.calendar()
    restart = calendar.active(datetime(2024, 1, 17, 4, 50, tzinfo=UTC))  # 23:50 EST
    sunday = calendar.active(datetime(2024, 1, 21, 6, 10, tzinfo=UTC))  # Sunday 01:10 EST
    assert (restart and restart.name, sunday and sunday.name) == (
        "gateway-restart",
        "weekly-token-reset",
    )
    assert calendar.active(datetime(2024, 1, 17, 6, 10, tzinfo=UTC)) is None  # no /iserver reset


def test_a_bad_zone_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as error:
        settings(monkeypatch, SLUICE_SESSION_RESET_TZ="Mars/Olympus")
    assert "SLUICE_SESSION_RESET_TZ" in str(error.value)


@pytest.mark.parametrize(
    ("api", "path"), [("webapi", "rest"), ("cpgateway", "rest"), ("socket", "socket")]
)
def test_each_router_topology_maps_to_its_session_path(
    monkeypatch: pytest.MonkeyPatch, api: str, path: str
) -> None:
    assert settings(monkeypatch, IBKR_API=api).policy().path == path


def test_settings_are_built_in_code_by_their_field_names() -> None:
    built = KeeperSettings(api="webapi", account="DU1", tick_s=0.2)
    assert (built.api, built.account, built.tick_s) == ("rest", "DU1", 0.2)
