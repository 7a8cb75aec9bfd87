"""The pacer keeps order, and drops what was queued for a connection that is gone or is past
its send deadline."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sluice_order_router.adapters.socket.pacing import Pacer, SendGuard
from sluice_proto import utc_now
from tests.support.polling import eventually


async def test_sends_in_submission_order() -> None:
    pacer = Pacer(rate=200.0)
    sent: list[int] = []
    for number in range(10):
        pacer.submit(lambda n=number: sent.append(n))  # type: ignore[misc]
    await eventually(lambda: len(sent) == 10)
    assert sent == list(range(10))
    await pacer.close()


async def test_clear_drops_queued_messages_only() -> None:
    pacer = Pacer(rate=1.0)  # slow: everything after the first waits
    sent: list[str] = []
    for _ in range(5):
        pacer.submit(lambda: sent.append("old"))
    await eventually(lambda: len(sent) == 1)
    pacer.clear()
    pacer.submit(lambda: sent.append("new"))
    await eventually(lambda: "new" in sent, within=3)
    assert sent == ["old", "new"]
    assert pacer.queued == 0
    await pacer.close()


async def test_pacing_stats_count_what_waited_and_what_still_waits() -> None:
    pacer = Pacer(rate=2.0)  # slow: after the first, messages queue
    sent: list[int] = []
    for number in range(3):
        pacer.submit(lambda n=number: sent.append(n))  # type: ignore[misc]
    await eventually(lambda: len(sent) == 1)
    assert pacer.pacing.waiting == 2
    await eventually(lambda: len(sent) == 2, within=3)
    assert pacer.pacing.waits == 2
    assert pacer.pacing.waiting == 1
    assert pacer.pacing.waited_s > 0
    await pacer.close()
    assert pacer.pacing.waiting == 0


async def test_a_guarded_send_past_its_deadline_is_dropped_and_its_slot_goes_to_the_next() -> None:
    pacer = Pacer(rate=2.0)  # slow: the second slot is half a second after the first
    sent: list[str] = []
    late = SendGuard(utc_now() + timedelta(seconds=0.1))
    pacer.submit(lambda: sent.append("first"))
    for leg in ("parent", "child"):  # one order's messages: decided together
        pacer.submit(lambda leg=leg: sent.append(leg), late)  # type: ignore[misc]
    pacer.submit(lambda: sent.append("after"))
    assert await asyncio.wait_for(late.decided, 3) is False
    await eventually(lambda: "after" in sent, within=3)
    assert sent == ["first", "after"]
    assert pacer.sent == 2
    await pacer.close()


async def test_a_guarded_send_in_time_goes_with_all_its_messages() -> None:
    pacer = Pacer(rate=200.0)
    sent: list[str] = []
    guard = SendGuard(utc_now() + timedelta(seconds=5))
    for leg in ("parent", "child"):
        pacer.submit(lambda leg=leg: sent.append(leg), guard)  # type: ignore[misc]
    assert await asyncio.wait_for(guard.decided, 3) is True
    await eventually(lambda: len(sent) == 2)
    assert sent == ["parent", "child"]
    await pacer.close()
