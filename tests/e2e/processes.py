"""One Sluice service as its own OS process: started with an environment, polled until ready,
stopped with SIGTERM; its output goes to a file that failures print."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 30.0


def clean_environ() -> dict[str, str]:
    """This process's environment without any Sluice, IBKR or OpenTelemetry setting."""
    prefixes = ("SLUICE_", "IBKR_", "OTEL_", "TRADING_MODE", "QUOTAGUARD")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@dataclass
class ServiceProcess:
    """``python -m <module>`` with ``env`` on top of a clean environment, HTTP on ``port``."""

    name: str
    module: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = clean_environ() | self.env
        env |= {"SLUICE_HTTP_HOST": "127.0.0.1", "SLUICE_HTTP_PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, client: httpx.AsyncClient, timeout_s: float) -> None:
        """Poll ``/readyz`` until it answers 200; fail with the log if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        reason = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited before ready:\n{self.tail()}")
            try:
                response = await client.get(f"{self.url}/readyz", timeout=2)
            except httpx.TransportError as exc:
                reason = type(exc).__name__
            else:
                if response.status_code == 200:
                    return
                reason = response.text
            await asyncio.sleep(0.1)  # poll interval
        raise AssertionError(
            f"{self.name} not ready after {timeout_s:.0f}s ({reason}):\n{self.tail()}"
        )

    def terminate(self) -> None:
        """Send SIGTERM (the graceful shutdown every service handles)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL (a crash: nothing is flushed, committed or said goodbye); the exit status."""
        assert self.process is not None
        self.process.kill()
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def wait_exit(self) -> int:
        """The exit status after ``terminate``; killed (and -9) if it hangs."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def tail(self, lines: int = 60) -> str:
        """The last lines of the process's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
