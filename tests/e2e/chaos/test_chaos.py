"""The chaos run at a small scale (the full one is ``python -m bench chaos``): signals stream
while the router is SIGKILLed, the broker restarts, the gateway loses its link to IB and makes
its daily restart; the venue holds exactly one order per approved signal, none sent late."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.stack import ProcessStack
from tests.support.chaos import ChaosPlan, ChaosRun, chaos_stack
from tests.support.kafka_broker import Broker

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

PLAN = ChaosPlan(signals=60, kills=4, rate=1.2, seed=11)


@pytest.fixture
async def started(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Broker, ProcessStack]]:
    async with chaos_stack(tmp_path_factory.mktemp("chaos-logs")) as started:
        yield started


@pytest.fixture
def stack(started: tuple[Broker, ProcessStack]) -> ProcessStack:
    """The started stack under the name whose failures carry the service logs (conftest)."""
    return started[1]


async def test_every_approved_signal_is_one_broker_order_or_expired_through_chaos(
    started: tuple[Broker, ProcessStack], stack: ProcessStack
) -> None:
    report = await ChaosRun(stack, started[0], PLAN).run()
    print("\n".join(report.lines()))
    assert report.violations == {}, report.lines()[-1]
    assert report.kills == PLAN.kills
    # the run did what it claims: orders went out, and some expired instead of going out late
    assert report.broker_orders > 0 and report.expired > 0, report.lines()[-1]
