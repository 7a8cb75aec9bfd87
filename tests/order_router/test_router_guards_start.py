"""Paper/live disagreements stop the router at start with a message (exit status 2)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.gateway import ACCOUNT


def run_router(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        # never reached: the guards run before the bus or the gateway connects
        "SLUICE_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "IBKR_ACCOUNT": ACCOUNT,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "sluice_order_router"], env=environment,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TRADING_MODE": "paper", "IBKR_PORT": "4001"}, "IBKR_PORT=4001 is a live port"),
        ({"TRADING_MODE": "paper", "IBKR_ACCOUNT": "U7654321"}, "U7654321 is a live account"),
        ({"TRADING_MODE": "live", "IBKR_PORT": "4001"}, "DU1234567 is a paper account"),
    ],
)
def test_disagreement_refuses_to_start(env: dict[str, str], named: str) -> None:
    result = run_router(**env)
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert named in result.stderr


def test_a_proxy_on_the_socket_path_refuses_to_start_without_echoing_it() -> None:
    secret_url = "socks5h://shield-user:hunter2-secret@proxy.example:1080"
    result = run_router(IBKR_API="socket", QUOTAGUARDSHIELD_URL=secret_url)
    assert result.returncode == 2
    assert "IBKR_API=socket cannot send through an egress proxy" in result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout
    assert "shield-user" not in result.stderr + result.stdout


def test_an_unknown_kill_scope_refuses_to_start() -> None:
    result = run_router(SLUICE_KILL_SCOPE="everything")
    assert result.returncode == 2
    [line] = [text for text in result.stderr.splitlines() if "SLUICE_KILL_SCOPE" in text]
    assert "all" in line and "own" in line
