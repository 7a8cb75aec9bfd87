"""The ``sluice`` command line run as a user would run it: its own process, a clean-ish env."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

SLUICE = [sys.executable, "-m", "sluice_cli"]
"""The command that runs ``sluice``."""
ENV = {key: value for key, value in os.environ.items() if key != "SLUICE_KAFKA_BOOTSTRAP"}
"""This environment without a broker address (each test names its own)."""
ENV["COLUMNS"] = "200"  # keep each error on one line


def sluice(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sluice *args`` to completion with ``ENV``; its output is captured as text."""
    return subprocess.run(
        [*SLUICE, *args], env=ENV, capture_output=True, text=True, timeout=120, check=False
    )


class Background:
    """``sluice *args`` running in the background, its output (stdout and stderr) in a file."""

    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("w") as sink:
            self.process = subprocess.Popen(
                [*SLUICE, *args], env=env or ENV, stdout=sink, stderr=subprocess.STDOUT
            )

    @property
    def output(self) -> str:
        """Everything it printed so far."""
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = 120.0) -> str:
        """Its output once it contains ``text``; fails if it exits or the time runs out."""
        deadline = time.monotonic() + timeout_s
        while text not in (output := self.output):
            assert self.process.poll() is None, f"exited {self.process.returncode}:\n{output}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout_s:.0f}s:\n{output}"
            time.sleep(0.1)  # poll interval
        return output

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then its exit status (killed after ``timeout_s``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def printed_urls(output: str) -> dict[str, str]:
    """``sluice up``'s "where everything is" lines: name → its first URL or address."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"^  (\S+(?: \S+)?)\s{2,}(?:POST )?(\S+?),?(?:\s|$)", line)
        if match:
            found[match[1]] = match[2]
    return found


SETTLED = {"order_accepted", "order_filled", "order_rejected", "order_broker_rejected"}
"""Event types after which a new order's fate is known (working, done or refused)."""


def order_events(url: str, timeout_s: float = 60.0) -> list[dict[str, str]]:
    """``GET url`` (``sluice up``'s ``/orders/<id>``) until an event of ``SETTLED`` is there."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(url, timeout=5)
        events: list[dict[str, str]] = response.json() if response.status_code == 200 else []
        if any(event["type"] in SETTLED for event in events):
            return events
        assert time.monotonic() < deadline, f"no settled event at {url}: {events}"
        time.sleep(0.2)  # poll interval


async def sluice_async(*args: str) -> subprocess.CompletedProcess[str]:
    """``sluice`` run like ``sluice()``, without blocking the event loop of an async test."""
    process = await asyncio.create_subprocess_exec(
        *SLUICE, *args, env=ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return subprocess.CompletedProcess(
        [*SLUICE, *args], process.returncode, out.decode(), err.decode()
    )
