"""``sluice demo`` in a real 80x24 terminal (tmux) and piped: one table, no stray frames."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.cli import SLUICE
from tests.support.polling import eventually
from tests.support.tmux import HAVE_TMUX, tmux_pane

pytestmark = pytest.mark.integration

TITLE = "Sluice demo: order lifecycle"
STEPS = ("1 market buy", "4 resting, cancelled", "6 during kill switch", "7 after resume")


def _table_rows(lines: list[str], label: str) -> list[str]:
    """Lines of the board for ``label`` (the log lines have a colon after the label)."""
    return [line for line in lines if re.match(rf"\s*{re.escape(label)}\s+(BUY|SELL) ", line)]


@pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed (Debian package tmux)")
async def test_the_demo_draws_one_table_at_80x24() -> None:
    with tmux_pane([*SLUICE, "demo"], width=80, height=24) as pane:
        await eventually(
            lambda: pane.exit_status() is not None, within=180, what="the demo to exit"
        )
        status, lines = pane.exit_status(), pane.capture()
    text = "\n".join(lines)
    assert status == 0, text
    assert "7/7 steps as expected" in text
    assert lines[0].startswith("Sluice demo"), "the first line comes before the slow start"
    assert sum(TITLE in line for line in lines) == 1, text
    headers = [line for line in lines if re.match(r"\s*step\s+order\s+status", line)]
    assert len(headers) == 1, text
    for label in STEPS:
        (row,) = _table_rows(lines, label)  # one line each: no wrapped cells, no stray frame
        assert "✓" in row
    assert all(len(line) <= 80 for line in lines)


def test_the_piped_demo_prints_plain_lines() -> None:
    run = subprocess.run(
        [*SLUICE, "demo"], capture_output=True, text=True, timeout=180, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "\x1b" not in run.stdout, "no colours or cursor moves into a pipe"
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Sluice demo")
    assert sum(TITLE in line for line in lines) == 1
    for label in STEPS:
        assert len(_table_rows(lines, label)) == 1
    assert "7/7 steps as expected" in run.stdout
