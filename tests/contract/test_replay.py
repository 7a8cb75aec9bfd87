"""``Bus.replay``: everything decided before it, as handlers get it, then stop."""

from __future__ import annotations

from typing import Any

from sluice_bus import Bus, ConsumerOptions, Message
from sluice_proto.signals import Signal
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import StartBus, publish_signals, signal
from tests.contract.recording import Recorder, key_of
from tests.support.polling import eventually


async def mine(bus: Bus, uid: str, **kwargs: Any) -> list[Message[Any]]:
    """The replayed messages of this test (topics are shared with other tests on Kafka)."""
    return [m async for m in bus.replay([SIGNALS], **kwargs) if key_of(m).startswith(uid)]


async def test_a_replay_returns_every_earlier_event_decoded_in_partition_order(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    keys = [f"{uid}-{name}" for name in "abcd"]
    published = [signal(keys[number % 4], number) for number in range(20)]
    for event in published:
        await bus.publish(SIGNALS, event, key=event.strategy_id)

    replayed = await mine(bus, uid)

    assert sorted(m.event.signal_id for m in replayed) == sorted(e.signal_id for e in published)
    assert all(isinstance(m.event, Signal) for m in replayed)
    assert {m.event.signal_id: m.event for m in replayed} == {e.signal_id: e for e in published}
    coordinates = [(m.record.topic, m.record.partition, m.record.offset) for m in replayed]
    assert coordinates == sorted(coordinates)  # partition by partition, each in log order
    for key in keys:
        got = [m.event.signal_id for m in replayed if m.event.strategy_id == key]
        assert got == [e.signal_id for e in published if e.strategy_id == key]


async def test_a_replay_stops_at_the_end_it_saw_when_it_started(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await publish_signals(bus, key, range(3))

    replay = bus.replay([SIGNALS])
    seen = [await anext(replay)]  # the bound is fixed once the replay has started
    await publish_signals(bus, key, range(3, 6))
    seen += [message async for message in replay]

    assert [m.event.signal_id for m in seen if key_of(m) == key] == ["s0", "s1", "s2"]


async def test_a_replay_until_given_offsets_leaves_out_what_came_after_them(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await bus.publish(SIGNALS, signal(key, 0), key=key)
    until = await bus.end_offsets([SIGNALS])
    await bus.publish(SIGNALS, signal(key, 1), key=key)

    assert [m.event.signal_id for m in await mine(bus, uid, until=until)] == ["s0"]
    assert [m.event.signal_id for m in await mine(bus, uid)] == ["s0", "s1"]


async def test_a_replay_of_an_empty_topic_returns_nothing(
    start_bus: StartBus, empty_topic: str
) -> None:
    bus = await start_bus()

    until = await bus.end_offsets([empty_topic])
    assert set(until.values()) == {0}
    assert [message async for message in bus.replay([empty_topic])] == []
    assert [message async for message in bus.replay([empty_topic], until=until)] == []


async def test_a_group_started_at_a_replays_end_gets_exactly_what_came_after(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await publish_signals(bus, key, range(3))
    until = await bus.end_offsets([SIGNALS])
    replayed = await mine(bus, uid, until=until)
    await publish_signals(bus, key, range(3, 5))

    live = Recorder(uid)
    await bus.consume([SIGNALS], group=uid, handler=live, options=ConsumerOptions(start_at=until))
    await eventually(lambda: len(live.messages) >= 2, what="the two later signals")

    assert [m.event.signal_id for m in replayed] == ["s0", "s1", "s2"]
    assert [event.signal_id for event in live.events] == ["s3", "s4"]


async def test_a_replay_by_key_reads_only_the_partition_of_that_key(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    keys = [f"{uid}-{name}" for name in "abcdefgh"]  # over every partition
    for number, key in enumerate(keys):
        await bus.publish(SIGNALS, signal(key, number), key=key)

    replayed = await mine(bus, uid, key=keys[0])

    assert [m.event.signal_id for m in replayed if key_of(m) == keys[0]] == ["s0"]
    assert len({m.record.partition for m in replayed}) == 1  # the others hold only other keys
    everything = await mine(bus, uid)
    same_partition = [m for m in everything if m.record.partition == replayed[0].record.partition]
    assert [m.event.signal_id for m in replayed] == [m.event.signal_id for m in same_partition]
