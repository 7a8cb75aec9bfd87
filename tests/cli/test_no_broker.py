"""Every command that needs Kafka says so in one line and exits 2 when no broker answers."""

from __future__ import annotations

import pytest

from tests.support.cli import sluice
from tests.support.net import free_port


@pytest.mark.parametrize(
    "command",
    [
        ("signal", "AAPL", "BUY", "100", "--type", "LMT", "--limit", "187.40"),
        ("tail", "sluice.orders.events.v1"),
        ("up",),
    ],
    ids=["signal", "tail", "up"],
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
