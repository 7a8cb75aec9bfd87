"""Consumer lag (``Bus.lag``, scraped as ``sluice_consumer_lag``): the same on every backend."""

from __future__ import annotations

from sluice_bus import Bus, ConsumerOptions
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import StartBus, publish_signals
from tests.contract.recording import Blocker, Recorder
from tests.support.polling import eventually


def behind(bus: Bus, group: str, partition: int) -> int | None:
    """The group's lag on one partition of the signals topic; None before it is measured."""
    for lag in bus.lag():
        if (lag.group, lag.topic, lag.partition) == (group, SIGNALS, partition):
            return lag.records
    return None


async def test_lag_counts_the_records_behind_a_stuck_member(start_bus: StartBus, uid: str) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await publish_signals(bus, key, range(4))
    stuck = Blocker(uid, block_on="s1")
    member = await bus.consume(
        [SIGNALS], group=uid, handler=stuck, options=ConsumerOptions(max_batch=1)
    )
    await eventually(stuck.reached.is_set, what="the handler to reach s1")
    partition = stuck.messages[0].record.partition

    await eventually(lambda: (behind(bus, uid, partition) or 0) >= 2, what="s2 and s3 behind")
    await member.abort()


async def test_lag_falls_to_zero_once_everything_is_handled(start_bus: StartBus, uid: str) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await publish_signals(bus, key, range(3))
    recorder = Recorder(uid)
    await bus.consume([SIGNALS], group=uid, handler=recorder)
    await eventually(lambda: len(recorder.messages) == 3, what="3 signals")
    partition = recorder.messages[0].record.partition

    await eventually(lambda: behind(bus, uid, partition) == 0, what="no lag")
