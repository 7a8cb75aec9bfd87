"""Wait for a condition by polling it (tests never sleep a fixed time for readiness)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_INTERVAL_S = 0.02


async def eventually(
    condition: Callable[[], bool], *, within: float = 30.0, what: str = ""
) -> None:
    """Return once ``condition()`` holds; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what or condition}")
        await asyncio.sleep(POLL_INTERVAL_S)
