"""Waiting for an event with a bound, without losing a cancellation.

On Python 3.11, ``asyncio.wait_for`` returns the awaited result when a cancellation arrives
just as it completes, and the cancellation is lost (CPython gh-86296, fixed in 3.12 by
rebuilding ``wait_for`` on ``asyncio.timeout``). A service loop that waits on an event which
is set often then never stops: its ``stop()`` awaits the cancelled task forever (seen in
``make test``: a session-keeper's teardown hung with its loop still publishing).
"""

from __future__ import annotations

import asyncio
import contextlib


async def woken(event: asyncio.Event, within: float | None) -> bool:
    """Wait until ``event`` is set or ``within`` seconds pass (``None``: no bound); True if set.

    Built on ``asyncio.timeout``, which always delivers a cancellation.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            await event.wait()
    return event.is_set()
