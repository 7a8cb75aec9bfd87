"""``woken``: a bounded wait on an event that never loses a cancellation (Python 3.11's
``asyncio.wait_for`` does, when the event is set just before the cancel)."""

from __future__ import annotations

import asyncio

import pytest

from sluice_runtime.waking import woken


async def test_it_says_whether_the_event_was_set_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 10) is True


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_loop_cancelled_just_after_its_event_was_set_stops(turns: int) -> None:
    """The session-keeper's, risk's, market-data's and the broker-truth loops: with
    ``wait_for`` the cancel was swallowed for 0 to 2 loop turns after ``set``, and the loop
    ran on."""
    event = asyncio.Event()

    async def service_loop() -> None:
        while True:
            await woken(event, 10)
            event.clear()

    task = asyncio.create_task(service_loop())
    await asyncio.sleep(0)
    event.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1)
    assert task in done and task.cancelled()
