"""How long ``sluice`` takes to start: ``--help``, a light command's help, and an eager import.

Run: ``python -m bench cli_start``. Each figure is the median of ``RUNS`` fresh interpreters
(bytecode already cached): wall time, and the CPU time the child used (user + system), which
a busy machine inflates much less than the wall time. ``sluice --help`` imports no subcommand
(they load when run: ``sluice_cli.main``); "every subcommand imported" is what it would cost
if it did.
"""

from __future__ import annotations

import resource
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


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_s(command: list[str]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``RUNS`` runs of ``command``."""
    subprocess.run(command, capture_output=True, check=True)  # warm the bytecode cache
    walls, cpus = [], []
    for _ in range(RUNS):
        started, cpu = time.perf_counter(), _cpu_s()
        subprocess.run(command, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_s() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Print the median start time of each case."""
    for name, command in CASES.items():
        wall, cpu = _median_s(command)
        print(f"{name:<40} wall {wall * 1000:6.0f} ms, CPU {cpu * 1000:6.0f} ms", flush=True)
    print(f"(medians of {RUNS} runs)")


if __name__ == "__main__":
    main()
