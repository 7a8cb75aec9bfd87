"""`sluice up`: the embedded stack serves all four services until SIGTERM, then exits 0."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx

from tests.support.cli import ENV, SLUICE
from tests.support.net import free_port


def test_up_serves_every_service_and_stops_cleanly_on_sigterm() -> None:
    base = free_port()
    while any(_in_use(base + offset) for offset in range(4)):
        base = free_port()
    process = subprocess.Popen(
        [*SLUICE, "up", "--http-port", str(base)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        ready = _wait_ready([base + offset for offset in range(4)], process)
        assert ready == {"risk", "order-router", "session-keeper", "market-data"}
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "four services on the in-memory bus" in output


def _in_use(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.2)
    except httpx.TransportError:
        return False
    return True


def _wait_ready(ports: list[int], process: subprocess.Popen[str]) -> set[str]:
    deadline = time.monotonic() + 90
    ready: set[str] = set()
    while len(ready) < len(ports):
        assert process.poll() is None, "sluice up exited early"
        assert time.monotonic() < deadline, f"ready so far: {ready}"
        for port in ports:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                ready.add(response.json().get("service", str(port)))
        time.sleep(0.2)
    return ready
