"""Sluice services as their own OS processes on the real Kafka broker (``python -m ...``)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.support.net import free_port


class Services:
    """Starts service processes and kills whatever still runs at ``close``."""

    def __init__(self, kafka_bootstrap: str) -> None:
        self._bootstrap = kafka_bootstrap
        self._processes: list[subprocess.Popen[str]] = []
        self.ports: dict[subprocess.Popen[str], int] = {}

    def start(self, module: str, **env: str) -> subprocess.Popen[str]:
        """``python -m module`` with the bus and an HTTP port of its own, plus ``env``."""
        port = free_port()
        environment = {
            **os.environ,
            "SLUICE_KAFKA_BOOTSTRAP": self._bootstrap,
            "SLUICE_HTTP_PORT": str(port),
            "SLUICE_HTTP_HOST": "127.0.0.1",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", module], env=environment, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self._processes.append(process)
        self.ports[process] = port
        return process

    def ready(self, process: subprocess.Popen[str]) -> bool:
        """True once the process answers ``/readyz`` with 200."""
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports[process]}/readyz", timeout=1.0)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def close(self) -> None:
        """Stop each process cleanly (SIGTERM: a router releases its claims), else kill it."""
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
