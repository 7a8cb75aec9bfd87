"""How long ``sluice`` takes to start: ``--help``, a light command's help, and an eager import.

Run: ``python -m bench cli_start``. Each figure is the median of ``RUNS`` fresh interpreters
(wall time, bytecode already cached). ``sluice --help`` imports no subcommand (they load when
run: ``sluice_cli.main``); "every subcommand imported" is what it would cost if it did.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
SLUICE = [sys.executable, "-m", "sluice_cli"]
CASES = {
    "sluice --help": [*SLUICE, "--help"],
    "sluice signal --help": [*SLUICE, "signal", "--help"],
    "python -c pass (the interpreter alone)": [sys.executable, "-c", "pass"],
    "every subcommand imported": [
        sys.executable,
        "-c",
        "import sluice_cli.main as m; [m.load(name) for name in m.COMMANDS]",
    ],
}


def _median_s(command: list[str]) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the bytecode cache
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Print the median start time of each case."""
    for name, command in CASES.items():
        print(f"{name:<40} {_median_s(command) * 1000:7.0f} ms (median of {RUNS})", flush=True)


if __name__ == "__main__":
    main()
