"""The TWS simulator in a process of its own, read and driven over its HTTP control API.

IBKR counts pacing by *arrival*. A simulator sharing its event loop with a load generator (a
bench publishing hundreds of signals, a collector decoding every event) reads the socket late
whenever that loop is busy, so messages sent evenly arrive bunched and it counts violations
the sender never committed. In its own process it reads them as they come.

Besides the control API (``sluice_sim.tws.http``), the process serves ``/arrivals`` (and
``/arrivals/{orderRef}``): when each ``orderRef`` first reached the venue, as
``time.perf_counter`` (CLOCK_MONOTONIC on Linux: one clock for every process of the machine,
so comparable with the parent's) and ``time.time``.

Run: ``python -m tests.support.tws_process ACCOUNT [SEED] [QUOTE_INTERVAL_S]``; it prints one
JSON line (``{"port": ..., "control": "http://..."}``) once it listens, and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


@dataclass
class _Arrivals:
    first: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __call__(self, event: Any) -> None:
        ref = event.order.spec.order_ref
        if ref not in self.first:
            self.first[ref] = (time.perf_counter(), time.time())


async def _serve(account: str, seed: int, quote_interval: float) -> None:
    import uvicorn  # noqa: PLC0415  # only the child process serves

    from sluice_sim.tws.config import TwsConfig  # noqa: PLC0415
    from sluice_sim.tws.control import TwsControl  # noqa: PLC0415
    from sluice_sim.tws.http import create_app  # noqa: PLC0415
    from sluice_sim.tws.server import TwsServer  # noqa: PLC0415

    server = TwsServer(
        TwsConfig(port=0, seed=seed, accounts=(account,), quote_interval=quote_interval)
    )
    arrivals = _Arrivals()
    server.venue.subscribe(arrivals)
    await server.start()
    app = create_app(TwsControl(server))

    @app.get("/arrivals")
    def first_arrivals() -> dict[str, tuple[float, float]]:
        return arrivals.first

    @app.get("/arrivals/{order_ref}")
    def first_arrival(order_ref: str) -> tuple[float, float] | None:
        return arrivals.first.get(order_ref)

    sock = socket.create_server(("127.0.0.1", 0))
    control = f"http://127.0.0.1:{sock.getsockname()[1]}"
    print(json.dumps({"port": server.port, "control": control}), flush=True)
    http = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        await http.serve(sockets=[sock])  # until SIGTERM (uvicorn handles it)
    finally:
        await server.stop()


class TwsProcess:
    """A running ``python -m tests.support.tws_process``: its API port and control client."""

    def __init__(self, account: str, seed: int = 11, quote_interval: float = 1.0) -> None:
        self._args = [account, str(seed), str(quote_interval)]
        self._process: subprocess.Popen[str] | None = None
        self.port = 0
        self.control_url = ""
        self._http = httpx.Client(timeout=10)

    def start(self) -> Self:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.tws_process", *self._args],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self._process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        line = self._process.stdout.readline()
        if not line or time.monotonic() > deadline:
            raise AssertionError("the TWS simulator process did not start")
        started = json.loads(line)
        self.port, self.control_url = started["port"], started["control"]
        return self

    def stop(self) -> None:
        self._http.close()
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def get(self, path: str) -> Any:
        response = self._http.get(self.control_url + path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> None:
        self._http.post(self.control_url + path, json=body).raise_for_status()

    def counters(self) -> dict[str, Any]:
        return dict(self.get("/counters"))

    def pacing_violations(self) -> int:
        """Messages the simulator refused as over its pacing limit, every client together."""
        return sum(self.counters()["pacing_violations"].values())

    def orders_with_ref(self, order_ref: str) -> int:
        return int(self.get(f"/orders/by-ref/{order_ref}")["count"])

    def reused_order_ids(self) -> list[list[int]]:
        return list(self.get("/orders/reused-ids")["reused"])

    def arrivals(self) -> dict[str, tuple[float, float]]:
        """``orderRef`` → (perf_counter, wall clock) of its first arrival at the venue."""
        return {ref: (at[0], at[1]) for ref, at in self.get("/arrivals").items()}


def main() -> None:
    account, *rest = sys.argv[1:]
    seed = int(rest[0]) if rest else 11
    quote_interval = float(rest[1]) if len(rest) > 1 else 1.0
    asyncio.run(_serve(account, seed, quote_interval))


if __name__ == "__main__":
    main()
