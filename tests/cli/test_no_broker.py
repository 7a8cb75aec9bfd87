"""No broker (or a taken port) is one line and exit 2, never a traceback."""

from __future__ import annotations

import socket

import pytest

from tests.support.cli import sluice
from tests.support.net import free_port


@pytest.mark.parametrize(
    "command",
    [
        ("signal", "AAPL", "BUY", "100", "--type", "LMT", "--limit", "187.40"),
        ("tail", "sluice.orders.events.v1"),
        ("up",),
        ("subscribe", "AAPL"),
        ("cancel", "s-42"),
        ("amend", "s-42", "--revision", "1", "--limit", "187.35"),
        ("kill",),
        ("status",),
        ("orders",),
    ],
    ids=["signal", "tail", "up", "subscribe", "cancel", "amend", "kill", "status", "orders"],
)
def test_no_broker_is_one_line_naming_it_and_exit_2(command: tuple[str, ...]) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    result = sluice(*command, "--bootstrap", bootstrap)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert bootstrap in lines[0]
    assert "sluice kafka" in lines[0]


def test_a_taken_port_is_one_line_naming_the_flags_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = sluice("up", "--sim-port", port, "--http-port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert port in lines[0] and "--sim-port" in lines[0]
