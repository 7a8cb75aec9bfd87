"""The runtime's demo service (``tests/runtime/demo_service.py``) as its own OS process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


class DemoProcess:
    """The demo service's process, its output read while it runs: it logs a line per record
    handled, and a full pipe would block it mid-batch (a shared topic can hold thousands)."""

    def __init__(self, process: subprocess.Popen[str], reader: ThreadPoolExecutor) -> None:
        self._process = process
        self._output: Future[tuple[str, str]] = reader.submit(process.communicate)

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def poll(self) -> int | None:
        return self._process.poll()

    def send_signal(self, signal: int) -> None:
        self._process.send_signal(signal)

    def communicate(self, timeout: float) -> tuple[str, str]:
        """Its stdout and stderr once it has exited (within ``timeout`` seconds)."""
        return self._output.result(timeout)


@contextlib.contextmanager
def demo_service(port: int, **env: str) -> Iterator[DemoProcess]:
    """``tests.runtime.demo_service`` as its own process on ``port``; killed if still running."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "OTEL_"))}
    clean |= {
        "DEMO_TOKEN": "s3cr3t-token",
        "SLUICE_HTTP_HOST": "127.0.0.1",
        "SLUICE_HTTP_PORT": str(port),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.demo_service"],
        cwd=ROOT,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with ThreadPoolExecutor(max_workers=1) as reader:
        try:
            yield DemoProcess(process, reader)
        finally:
            if process.poll() is None:
                process.kill()


def wait_ready(port: int, process: DemoProcess, timeout_s: float = 60) -> httpx.Response:
    """Poll ``/readyz`` on ``port`` until it answers 200 (blocking: the callers are not async)."""
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
