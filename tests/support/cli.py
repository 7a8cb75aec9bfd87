"""The ``sluice`` command line run as a user would run it: its own process, a clean-ish env."""

from __future__ import annotations

import os
import subprocess
import sys

SLUICE = [sys.executable, "-m", "sluice_cli"]
"""The command that runs ``sluice``."""
ENV = {key: value for key, value in os.environ.items() if key != "SLUICE_KAFKA_BOOTSTRAP"}
"""This environment without a broker address (each test names its own)."""
ENV["COLUMNS"] = "200"  # keep each error on one line


def sluice(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sluice *args`` to completion with ``ENV``; its output is captured as text."""
    return subprocess.run(
        [*SLUICE, *args], env=ENV, capture_output=True, text=True, timeout=120, check=False
    )
