"""Bad input and failing handlers end in the DLQ; the partition keeps moving; nothing is lost."""

from __future__ import annotations

from typing import Any

from sluice_bus import ConsumerOptions, HandlerResult, Message
from sluice_bus.partitioning import partition_for
from sluice_proto.codec import encode
from sluice_proto.dlq import DeadLetter
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import StartBus, publish_signals, signal
from tests.contract.recording import Failing, Recorder, dead_letters, letters
from tests.support.polling import eventually

FAST_RETRIES = ConsumerOptions(max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.02)


async def test_bad_records_are_dead_lettered_whole_and_consumption_goes_on(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    bad = {
        "undecodable": b"\xff{not json",
        "schema_invalid": b'{"type": "signal", "signal_id": "x", "quantity": "-1"}',
        "unknown_type": b'{"type": "buy_everything", "strategy_id": "x"}',
    }
    for value in bad.values():
        await bus.publish_raw(SIGNALS, value, key=key.encode())
    await bus.publish(SIGNALS, signal(key, 0), key=key)  # after the bad ones, same partition
    dlq = await dead_letters(bus, uid)
    recorder = Recorder(uid)
    await bus.consume([SIGNALS], group=uid, handler=recorder)

    await eventually(lambda: len(recorder.messages) == 1, what="the good signal")
    await eventually(lambda: len(letters(dlq)) == 3, what="three dead letters")
    good = recorder.messages[0].record
    got: dict[str, DeadLetter] = {letter.kind: letter for letter in letters(dlq)}
    assert set(got) == set(bad)
    for offset, (kind, value) in enumerate(bad.items(), start=good.offset - 3):
        letter = got[kind]
        assert letter.value == value
        assert letter.key == key.encode()
        assert (letter.original_topic, letter.partition, letter.offset) == (
            SIGNALS,
            partition_for(key.encode(), 3),
            offset,
        )
        assert letter.service == "contract"
        assert letter.error
        assert letter.attempts == 0


async def test_a_failing_handler_is_retried_then_dead_lettered(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    recorder = Failing(uid, fails=lambda attempts: attempts[-1] == "s0")
    first, second = signal(key, 0), signal(key, 1)
    for event in (first, second):
        await bus.publish(SIGNALS, event, key=key)
    dlq = await dead_letters(bus, uid)
    await bus.consume([SIGNALS], group=uid, handler=recorder, options=FAST_RETRIES)

    await eventually(lambda: len(letters(dlq)) == 1 and len(recorder.messages) == 1, what="1+1")
    (letter,) = letters(dlq)
    assert (letter.kind, letter.attempts) == ("handler_failed", 3)
    assert letter.error == "RuntimeError: boom"
    assert letter.value == encode(first)
    assert recorder.attempts == ["s0", "s0", "s0", "s1"]


async def test_a_handler_that_fails_once_is_retried_and_not_dead_lettered(
    start_bus: StartBus, uid: str
) -> None:
    """The first attempt runs outside the retry loop; a failure still gets the retries."""
    bus = await start_bus()
    key = f"{uid}-k"
    recorder = Failing(uid, fails=lambda attempts: attempts == ["s0"], error="transient")
    await publish_signals(bus, key, range(2))
    dlq = await dead_letters(bus, uid)
    await bus.consume([SIGNALS], group=uid, handler=recorder, options=FAST_RETRIES)

    await eventually(lambda: len(recorder.messages) == 2, what="both signals handled")
    assert recorder.attempts == ["s0", "s0", "s1"]
    assert letters(dlq) == []


async def test_one_attempt_means_no_retry(start_bus: StartBus, uid: str) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    recorder = Failing(uid)
    await bus.publish(SIGNALS, signal(key, 0), key=key)
    dlq = await dead_letters(bus, uid)
    once = ConsumerOptions(max_attempts=1)
    await bus.consume([SIGNALS], group=uid, handler=recorder, options=once)

    await eventually(lambda: len(letters(dlq)) == 1, what="the dead letter")
    assert [letter.attempts for letter in letters(dlq)] == [1]
    assert recorder.attempts == ["s0"]


async def test_every_record_in_is_either_handled_or_dead_lettered(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()

    async def rejects_multiples_of_five(message: Message[Any]) -> HandlerResult:
        if recorder.mine(message) and int(message.event.signal_id[1:]) % 5 == 0:
            raise ValueError("not today")
        return await recorder(message)

    recorder = Recorder(uid)
    published = 20
    for number in range(published):
        key = f"{uid}-{number % 4}"
        if number % 7 == 3:
            await bus.publish_raw(SIGNALS, b"garbage", key=key.encode())
        else:
            await bus.publish(SIGNALS, signal(key, number), key=key)
    dlq = await dead_letters(bus, uid)
    await bus.consume([SIGNALS], group=uid, handler=rejects_multiples_of_five, options=FAST_RETRIES)

    await eventually(
        lambda: len(recorder.messages) + len(letters(dlq)) == published, what="all 20 accounted"
    )
    kinds = sorted(letter.kind for letter in letters(dlq))
    assert kinds == ["handler_failed"] * 3 + ["undecodable"] * 3  # s0, s5, s15; 3, 10, 17
    assert len(recorder.messages) == 14
