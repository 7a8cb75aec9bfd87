"""The router's liveness: it heartbeats with its link state, and a gateway that is down when the
router starts only delays readiness (the router waits and connects, it never exits), with one
log line for the outage instead of ib_async's lines per attempt."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from sluice_bus import MemoryBroker
from sluice_proto.orders import OrderFilled
from sluice_proto.session import RouterHeartbeat
from sluice_proto.topics import SESSION_REPORTS
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, send
from tests.support.polling import eventually


def beats(broker: MemoryBroker) -> list[RouterHeartbeat]:
    return [r for r in topic_events(broker, SESSION_REPORTS) if isinstance(r, RouterHeartbeat)]


async def test_the_router_heartbeats_with_its_link_state(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    router = await start_router(heartbeat_s=0.05)
    await eventually(lambda: any(b.link_up for b in beats(broker)), what="a beat, link up")
    beat = beats(broker)[-1]
    assert (beat.account, beat.path, beat.instance_id) == (ACCOUNT, "socket", router.instance_id)

    control.lose_connectivity()  # 1100: the process lives on, its link to IBKR does not
    seen = len(beats(broker))
    await eventually(lambda: any(not b.link_up for b in beats(broker)[seen:]), what="link down")

    await router.stop()
    stopped = len(beats(broker))
    await asyncio.sleep(0.2)  # four beat intervals: none may come from a stopped router
    assert len(beats(broker)) == stopped


async def test_a_router_started_while_the_gateway_is_down_becomes_ready_when_it_is_back(
    start_router: StartRouter,
    broker: MemoryBroker,
    control: TwsControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    restart = asyncio.create_task(control.restart(window=1.5))  # connections refused 1.5 s
    await asyncio.sleep(0)  # the listener is closed before the router starts
    router = await start_router(wait_connected=False, heartbeat_s=0.05)
    await eventually(lambda: len(beats(broker)) >= 3, what="beats while the gateway is down")
    assert not router.readiness()[0]
    assert not any(b.link_up for b in beats(broker))
    await send(broker, approved("early-1"))  # held, not lost, while the gateway is away
    await restart
    await eventually(
        lambda: router.readiness()[0], within=10, what="ready once the gateway is back"
    )
    await eventually(lambda: OrderFilled in kinds(broker, "early-1"), what="the held order filled")
    # ib_async's lines of every failed attempt after the first are one line with the duration
    summaries = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    [summary] = summaries
    held = int(re.search(r"\((\d+) log lines of ib_async held back\)", summary)[1])
    assert held > 0
    failures = [r for r in caplog.records if "API connection failed" in r.getMessage()]
    assert len(failures) == 1  # the first attempt's, before the outage was known
