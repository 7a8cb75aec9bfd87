"""How long ``sluice`` takes to start: ``--help``, each command's ``--help``, an eager import.

Run: ``python -m bench cli_start``. Each figure is the median of ``RUNS`` fresh interpreters
(bytecode already cached): wall time, and the CPU time the child used (user + system), which
a busy machine inflates much less than the wall time. ``sluice --help`` imports no subcommand
(they load when run: ``sluice_cli.main``); "every subcommand imported" is what it would cost
if it did. ``sluice <command> --help`` imports that command's module, which is what any run of
the command pays before it does anything; the last line names the slowest (target: 1 s).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

from sluice_cli.main import COMMANDS

RUNS = 5
SLUICE = [sys.executable, "-m", "sluice_cli"]
CASES = {
    "sluice --help": [*SLUICE, "--help"],
    **{f"sluice {name} --help": [*SLUICE, name, "--help"] for name in COMMANDS},
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
    """Print the median start time of each case, then the slowest ``sluice`` command."""
    walls: dict[str, float] = {}
    for name, command in CASES.items():
        wall, cpu = _median_s(command)
        walls[name] = wall
        print(f"{name:<40} wall {wall * 1000:6.0f} ms, CPU {cpu * 1000:6.0f} ms", flush=True)
    print(f"(medians of {RUNS} runs)")
    slowest = max((n for n in walls if n.startswith("sluice")), key=walls.__getitem__)
    print(f"cli_start: slowest={slowest.split()[1]} slowest_s={walls[slowest]:.2f}")


if __name__ == "__main__":
    main()
