"""A running service stops in order on SIGTERM and exits 0 (real process, real uvicorn)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int, process: subprocess.Popen[str], timeout_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "service exited during startup"
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        if response.status_code == 200:
            return response
        time.sleep(0.05)
    raise AssertionError("service never became ready")


def test_sigterm_stops_component_then_bus_and_exits_0() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "OTEL_"))}
    env |= {
        "DEMO_BUS": "memory",
        "DEMO_TOKEN": "s3cr3t-token",
        "SLUICE_HTTP_HOST": "127.0.0.1",
        "SLUICE_HTTP_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.demo_service"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = wait_ready(port, process)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert ready.json() == {"ready": True, "reason": "ready", "service": "demo"}
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    messages = [line["message"] for line in lines]
    assert {line["service"] for line in lines} == {"demo"}
    order = [
        "demo component started",
        "received SIGTERM, shutting down",
        # the component stops while the bus is still up; the bus stops after it
        "demo component stopped; bus connected=True",
        "demo stopped (exit 0)",
    ]
    assert [m for m in messages if m in order] == order
