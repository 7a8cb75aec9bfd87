"""Wait for a condition by polling it (tests never sleep a fixed time for readiness)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable

POLL_INTERVAL_S = 0.02


async def eventually(
    condition: Callable[[], object],
    *,
    within: float = 30.0,
    what: str = "",
    interval: float = POLL_INTERVAL_S,
) -> None:
    """Return once ``condition()`` is truthy; fail the test after ``within`` seconds.

    ``condition`` may be a coroutine function (it is awaited each time), for conditions that
    ask over the network; ``interval`` is the pause between two looks. A ``LookupError``
    (the latest of a list still empty, a key not there yet) means "not yet", not a failure.
    """
    deadline = time.monotonic() + within
    while not await _holds(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what or condition}")
        await asyncio.sleep(interval)


async def _holds(condition: Callable[[], object]) -> bool:
    try:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
    except LookupError:
        return False
    return bool(value)
