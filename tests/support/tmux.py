"""A command run in a real terminal: a detached tmux session of a given size (its own server)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

HAVE_TMUX = shutil.which("tmux") is not None
_ENV = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "TMUX"}}
"""The terminal's size must come from tmux: rich would believe COLUMNS over the terminal."""


@dataclass(frozen=True, slots=True)
class Pane:
    """One tmux pane running a command; it stays readable after the command exits."""

    server: str

    def _tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.server, "-f", os.devnull, *args]
        return subprocess.run(command, env=_ENV, capture_output=True, text=True, check=True).stdout

    def exit_status(self) -> int | None:
        """The command's exit status once it has exited (minus the signal that ended it), else
        None."""
        shown = "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}"
        dead, status, signal = self._tmux("display-message", "-p", shown).strip().split(":")
        if dead != "1":
            return None
        return int(status) if status else -int(signal or 0)

    def capture(self) -> list[str]:
        """Every line the pane holds, scrollback first, then the screen (trailing blanks cut)."""
        lines = self._tmux("capture-pane", "-p", "-S", "-", "-E", "-").rstrip("\n").split("\n")
        return [line for line in lines if not line.startswith("Pane is dead")]


@contextlib.contextmanager
def tmux_pane(command: list[str], *, width: int, height: int) -> Iterator[Pane]:
    """Run ``command`` in a ``width`` x ``height`` terminal; the tmux server is killed after."""
    pane = Pane(server=f"sluice-test-{os.getpid()}")
    # One command sequence, so the pane is kept even if the command exits at once.
    pane._tmux(
        "start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
        "new-session", "-d", "-x", str(width), "-y", str(height), shlex.join(command),
    )  # fmt: skip
    try:
        yield pane
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pane._tmux("kill-server")
