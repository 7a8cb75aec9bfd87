"""The client's per-order bookkeeping: log order, duplicate notices, the look-back hold."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sluice_client.lifecycles import Lifecycles
from sluice_proto import Fill, OrderAccepted, OrderFilled, SignalDuplicate

COID = "sl-000000000000000000000001"


def accepted() -> OrderAccepted:
    return OrderAccepted(client_order_id=COID, account="DU1", broker_order_id=7)


def filled() -> OrderFilled:
    fill = Fill(exec_id="e1", quantity=Decimal(1), price=Decimal(100))
    return OrderFilled(
        client_order_id=COID,
        account="DU1",
        fill=fill,
        filled_quantity=Decimal(1),
        avg_fill_price=Decimal(100),
    )


async def collect(lifecycles: Lifecycles) -> list[Any]:
    return [event async for event in lifecycles.follow(COID)]


async def test_events_come_in_log_order_and_end_with_the_final_one() -> None:
    lifecycles = Lifecycles()
    lifecycles.watch(COID)
    following = asyncio.create_task(collect(lifecycles))
    await lifecycles.add(accepted(), (0, 5))
    await lifecycles.add(accepted(), (0, 5))  # the same record twice is kept once
    await lifecycles.add(filled(), (0, 9))

    events = await asyncio.wait_for(following, 5)

    assert [type(e) for e in events] == [OrderAccepted, OrderFilled]


async def test_a_duplicate_notice_is_not_an_event_of_the_order() -> None:
    lifecycles = Lifecycles()
    lifecycles.watch(COID)
    await lifecycles.add(SignalDuplicate(client_order_id=COID, account="DU1"), (0, 3))
    assert not lifecycles.known(COID)
    await lifecycles.add(filled(), (0, 4))

    events = await asyncio.wait_for(collect(lifecycles), 5)

    assert [type(e) for e in events] == [OrderFilled]
    assert lifecycles.known(COID)


async def test_while_earlier_events_are_looked_up_followers_wait_for_them() -> None:
    lifecycles = Lifecycles()
    lifecycles.watch(COID)
    lifecycles.hold(COID)
    following = asyncio.create_task(collect(lifecycles))
    await lifecycles.add(SignalDuplicate(client_order_id=COID, account="DU1"), (0, 12))
    await asyncio.sleep(0)
    assert not following.done()

    await lifecycles.add(accepted(), (0, 2))  # found further back in the partition
    await lifecycles.add(filled(), (0, 6))
    await lifecycles.release(COID)

    assert [type(e) for e in await asyncio.wait_for(following, 5)] == [
        OrderAccepted,
        OrderFilled,
    ]


async def test_events_of_orders_nobody_watches_are_dropped() -> None:
    lifecycles = Lifecycles()
    await lifecycles.add(accepted(), (0, 1))
    assert not lifecycles.watching(COID)
