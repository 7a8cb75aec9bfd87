"""How long each ``sluice`` command takes to answer: its ``--help``, and a real run on Kafka.

Run: ``python -m bench cli_start``. A fresh single-node broker (``tests/support/kafka_broker``)
with Sluice's topics; then every case runs in fresh interpreters, ``RUNS`` times after one
warm-up run, and the median wall time and CPU time (user + system, which a busy machine
inflates much less than the wall time) are printed.

- ``sluice <command> --help`` imports the command's module: what any run pays before it does
  anything. ``demo``, ``up``, ``kafka`` and ``sim`` run until Ctrl-C, so only their help is timed.
- A **run** does the whole command against the broker: ``signal`` publishes, ``status``,
  ``pnl``, ``positions`` and ``orders`` read the topics, ``kill``/``resume``/``accept-broker``,
  ``subscribe``/``unsubscribe``, ``cancel`` and ``amend`` publish their request without waiting
  for a service to answer (``--wait 0``: no service runs here); ``tail`` is timed until it
  prints its first event. ``history`` and ``doctor`` run against a closed port (no market-data,
  no gateway): the time to their one-line diagnosis.

Bytecode: the children run without ``PYTHONDONTWRITEBYTECODE``, so the warm-up run caches it as
any first run (or the image build, ``UV_COMPILE_BYTECODE``) does. With that variable set and no
``.pyc`` files, every start compiles each module again (docs/e2e.md has the figures).

Last line (machine-readable; target 1 s): ``cli: max_s=<slowest wall> slowest=<command>:<help|run>
max_cpu_s=<slowest CPU> slowest_cpu=<command>:<help|run>``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from sluice_bus import make_bus
from sluice_cli.main import COMMANDS
from tests.support.kafka_broker import running_broker

RUNS = 5
SLUICE = [sys.executable, "-m", "sluice_cli"]
LONG_RUNNING = ("demo", "up", "kafka", "sim")
ACCOUNT = "BENCH"
CLOSED_HOST, CLOSED_PORT = "127.0.0.1", "9"  # nothing listens on the discard port: refused
Timing = tuple[float, float]


def help_cases() -> dict[str, list[str]]:
    """``sluice --help`` and each command's ``--help``."""
    cases = {"sluice --help": [*SLUICE, "--help"]}
    cases |= {f"sluice {name} --help": [*SLUICE, name, "--help"] for name in COMMANDS}
    return cases


def run_cases(bootstrap: str) -> dict[str, list[str]]:
    """Each command that finishes by itself, run for real against ``bootstrap``."""
    on_kafka = ["--bootstrap", bootstrap]
    no_wait = ["--wait", "0", *on_kafka]
    runs = [
        ["signal", "AAPL", "BUY", "1", *on_kafka],
        ["status", *on_kafka],
        ["pnl", *on_kafka],
        ["positions", *on_kafka],
        ["orders", *on_kafka],
        ["kill", "--account", ACCOUNT, *no_wait],
        ["resume", "--account", ACCOUNT, *no_wait],
        ["accept-broker", "--account", ACCOUNT, *no_wait],
        ["subscribe", "AAPL", *no_wait],
        ["unsubscribe", "AAPL", *on_kafka],
        ["cancel", "bench-1", *no_wait],
        ["amend", "bench-1", "--revision", "1", "--quantity", "2", *no_wait],
        ["history", "AAPL", "--url", f"http://{CLOSED_HOST}:{CLOSED_PORT}"],
        ["doctor", "--host", CLOSED_HOST, "--port", CLOSED_PORT],
    ]
    return {f"sluice {' '.join(args)}": [*SLUICE, *args] for args in runs}


def _env() -> dict[str, str]:
    """This environment, letting the warm-up run cache bytecode (see the module docstring)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str]) -> float:
    """Run ``command`` to its end (any exit status: a diagnosis is an answer); wall seconds."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, env=_env())
    return time.perf_counter() - started


def _tail_first_event(command: list[str]) -> float:
    """Start ``sluice tail``; seconds until it prints its first event; then stop it."""
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env()
    ) as tail:
        assert tail.stdout is not None
        line = tail.stdout.readline()
        answered = time.perf_counter() - started
        tail.terminate()
        tail.wait()
    if not line:
        raise RuntimeError(f"{' '.join(command)} ended without printing an event")
    return answered


def _median(measure: Callable[[list[str]], float], command: list[str]) -> Timing:
    """Median wall and CPU seconds of ``RUNS`` measurements, after one warm-up."""
    measure(command)  # caches the bytecode; the broker's first metadata for this client
    walls, cpus = [], []
    for _ in range(RUNS):
        cpu = _cpu_s()
        walls.append(measure(command))
        cpus.append(_cpu_s() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _label(name: str) -> str:
    """``sluice pnl --bootstrap ...`` → ``pnl:run``; ``sluice pnl --help`` → ``pnl:help``."""
    words = name.split()
    command = words[1] if len(words) > 1 and words[1] != "--help" else "sluice"
    return f"{command}:{'help' if words[-1] == '--help' else 'run'}"


def _print(name: str, timing: Timing) -> None:
    wall, cpu = timing
    print(f"{name:<84} wall {wall * 1000:6.0f} ms, CPU {cpu * 1000:6.0f} ms", flush=True)


async def _topics(bootstrap: str) -> None:
    """Create Sluice's topics, as any service's first start does."""
    bus = make_bus("bench-cli", bootstrap)
    await bus.start()
    await bus.stop()


async def _measure() -> dict[str, Timing]:
    timings: dict[str, Timing] = {}
    print("-- --help (imports only)")
    for name, command in help_cases().items():
        timings[name] = _median(_run, command)
        _print(name, timings[name])
    async with running_broker() as broker:
        await _topics(broker.bootstrap)
        print(f"-- runs against a broker at {broker.bootstrap}")
        for name, command in run_cases(broker.bootstrap).items():
            timings[name] = await asyncio.to_thread(_median, _run, command)
            _print(name, timings[name])
        tail = [*SLUICE, "tail", "sluice.signals.v1", "--from-beginning"]
        tail += ["--bootstrap", broker.bootstrap]
        name = "sluice tail sluice.signals.v1 --from-beginning (first event)"
        timings[name] = await asyncio.to_thread(_median, _tail_first_event, tail)
        _print(name, timings[name])
    interpreter = [sys.executable, "-c", "pass"]
    _print("python -c pass (the interpreter alone)", _median(_run, interpreter))
    print(f"(medians of {RUNS} runs after a warm-up)")
    return timings


def main() -> None:
    """Time every case, then name the slowest command by wall time and by CPU."""
    timings = asyncio.run(_measure())
    slowest = max(timings, key=lambda name: timings[name][0])
    slowest_cpu = max(timings, key=lambda name: timings[name][1])
    print(
        f"cli: max_s={timings[slowest][0]:.2f} slowest={_label(slowest)} "
        f"max_cpu_s={timings[slowest_cpu][1]:.2f} slowest_cpu={_label(slowest_cpu)}"
    )


if __name__ == "__main__":
    main()
