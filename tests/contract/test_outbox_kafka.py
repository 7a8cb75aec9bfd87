"""The Kafka consumer's outbox: a crash inside a batch loses no output and decides no record
twice, once the next process has settled the outbox."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest

from sluice_bus import (
    Bus,
    ConsumerOptions,
    HandlerResult,
    Message,
    Outgoing,
    kafka_consumer,
    make_bus,
)
from sluice_proto.orders import OrderRejected
from sluice_proto.topics import ORDERS_EVENTS, RISK_OUTBOX, SIGNALS
from tests.contract.conftest import publish_signals, signal
from tests.contract.recording import Recorder
from tests.support.outbox_faults import commit_hangs, of_topic, outputs_lost
from tests.support.polling import eventually

pytestmark = pytest.mark.kafka

OUTBOX = ConsumerOptions(outbox=RISK_OUTBOX, max_attempts=1)


@dataclass
class Decider:
    """Answers each of the test's signals with one rejection, and remembers what it decided."""

    prefix: str
    account: str
    decided: list[str] = field(default_factory=list)

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if not (message.record.key or b"").decode().startswith(self.prefix):
            return None
        self.decided.append(message.event.signal_id)
        rejection = OrderRejected(
            client_order_id=message.event.client_order_id,
            account=self.account,
            signal_id=message.event.signal_id,
            reason_code="KILL_SWITCH",
            message="outbox test",
        )
        return [Outgoing(ORDERS_EVENTS, rejection, self.account)]


async def crash_then_settle(
    bootstrap: str,
    uid: str,
    fault: Callable[[Decider], contextlib.AbstractContextManager[Any]],
) -> tuple[Decider, Decider, Recorder, list[Bus]]:
    """Four signals decided by a consumer that crashes at ``fault`` (given its handler), then
    a fifth by a new process that settled the outbox first."""
    buses: list[Bus] = []

    async def started() -> Bus:
        bus = make_bus("contract", bootstrap)
        await bus.start()
        buses.append(bus)
        return bus

    bus = await started()
    key, account = f"{uid}-k", f"{uid}-acct"
    outputs = Recorder(account)
    await bus.consume([ORDERS_EVENTS], group=f"{uid}-reader", handler=outputs)
    await publish_signals(bus, key, range(4))
    first = Decider(uid, account)
    with fault(first) as reached:
        consumer = await bus.consume([SIGNALS], group=uid, handler=first, options=OUTBOX)
        await eventually(reached.is_set, what="the crash point")
        await consumer.abort()

    fresh = await started()
    await fresh.settle_outbox(uid, RISK_OUTBOX)
    second = Decider(uid, account)
    await fresh.consume([SIGNALS], group=uid, handler=second, options=OUTBOX)
    await bus.publish(SIGNALS, signal(key, 4), key=key)
    await eventually(lambda: "s4" in second.decided, what="s4 decided")
    await eventually(
        lambda: {event.signal_id for event in outputs.events} == {f"s{n}" for n in range(5)},
        what="every rejection",
    )
    return first, second, outputs, buses


@contextlib.asynccontextmanager
async def stopping(buses: list[Bus]) -> Any:
    try:
        yield
    finally:
        for bus in reversed(buses):
            await bus.stop()


@contextlib.contextmanager
def outputs_never_sent(_: Decider) -> Iterator[Any]:
    with outputs_lost(of_topic(ORDERS_EVENTS)) as reached:
        yield reached


async def test_a_crash_after_the_outbox_record_publishes_the_outputs_once_on_settling(
    kafka_bootstrap: str, uid: str
) -> None:
    first, second, outputs, buses = await crash_then_settle(
        kafka_bootstrap, uid, outputs_never_sent
    )
    async with stopping(buses):
        assert first.decided  # the crashed batch
        assert not set(first.decided) & set(second.decided)  # none decided twice
        # the crashed batch's outputs reached the broker only through the settling
        assert [event.signal_id for event in outputs.events] == [f"s{n}" for n in range(5)]


async def test_a_crash_before_the_commit_moves_the_group_past_the_batch(
    kafka_bootstrap: str, uid: str
) -> None:
    first, second, outputs, buses = await crash_then_settle(
        # the group starts at the topic's beginning: batches of other tests' signals go through
        kafka_bootstrap,
        uid,
        lambda first: commit_hangs(uid, when=lambda offsets: bool(first.decided)),
    )
    async with stopping(buses):
        assert first.decided
        assert not set(first.decided) & set(second.decided)
        # published twice (before the crash, and on settling), byte for byte the same
        by_id: dict[str, set[tuple[bytes, Any]]] = {}
        for message in outputs.messages:
            record = message.record
            by_id.setdefault(message.event.signal_id, set()).add((record.value, record.headers))
        assert all(len(copies) == 1 for copies in by_id.values())
        assert sorted(by_id) == [f"s{n}" for n in range(5)]
        assert len(outputs.messages) == 5 + len(first.decided)


async def test_outbox_and_transactional_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="exclude"):
        ConsumerOptions(outbox=RISK_OUTBOX, transactional=True)


async def test_a_batch_over_the_outbox_budget_ends_early_and_the_rest_is_fetched_again(
    kafka_bootstrap: str, uid: str
) -> None:
    bus = make_bus("contract", kafka_bootstrap)
    await bus.start()
    async with stopping([bus]):
        key, account = f"{uid}-k", f"{uid}-acct"
        outputs = Recorder(account)
        await bus.consume([ORDERS_EVENTS], group=f"{uid}-reader", handler=outputs)
        await publish_signals(bus, key, range(5))
        decider = Decider(uid, account)
        with mock.patch.object(kafka_consumer, "OUTBOX_BUDGET", 1):  # one record per batch
            await bus.consume([SIGNALS], group=uid, handler=decider, options=OUTBOX)
            await eventually(lambda: len(outputs.messages) >= 5, what="five rejections")
        assert decider.decided == [f"s{n}" for n in range(5)]
        assert [event.signal_id for event in outputs.events] == [f"s{n}" for n in range(5)]
