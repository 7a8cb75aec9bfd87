"""Consume-transform-produce: a transactional consumer's outputs appear exactly once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sluice_bus import ConsumerOptions, HandlerResult, Message, Outgoing
from sluice_proto.orders import OrderRejected
from sluice_proto.topics import ORDERS_EVENTS, SIGNALS
from tests.contract.conftest import StartBus, signal
from tests.contract.recording import Recorder, key_of
from tests.support.polling import eventually

TRANSACTIONAL = ConsumerOptions(transactional=True)


@dataclass
class Rejecter:
    """Answers each of the test's signals with one rejection; can hang on one signal (crash)."""

    prefix: str
    account: str
    hang_on: str | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, message: Message[Any]) -> HandlerResult:
        if not (message.record.key or b"").decode().startswith(self.prefix):
            return None
        if message.event.signal_id == self.hang_on:
            self.reached.set()
            await asyncio.Event().wait()
        rejection = OrderRejected(
            client_order_id=message.event.client_order_id,
            account=self.account,
            signal_id=message.event.signal_id,
            reason_code="KILL_SWITCH",
            message="contract test",
        )
        return [Outgoing(ORDERS_EVENTS, rejection, self.account)]


async def test_outputs_are_visible_exactly_once_across_a_crash_and_a_restart(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key, account = f"{uid}-k", f"{uid}-acct"
    outputs = Recorder(account)
    await bus.consume([ORDERS_EVENTS], group=f"{uid}-reader", handler=outputs)
    for number in range(5):
        await bus.publish(SIGNALS, signal(key, number), key=key)

    crashing = Rejecter(uid, account, hang_on="s2")
    first = await bus.consume([SIGNALS], group=uid, handler=crashing, options=TRANSACTIONAL)
    await eventually(crashing.reached.is_set, what="the handler to hang on s2")
    await first.abort()
    second = await (await start_bus()).consume(
        [SIGNALS], group=uid, handler=Rejecter(uid, account), options=TRANSACTIONAL
    )
    await eventually(lambda: len(outputs.messages) >= 5, what="five rejections")
    await second.stop()

    await bus.publish(SIGNALS, signal(key, 5), key=key)
    await (await start_bus()).consume(
        [SIGNALS], group=uid, handler=Rejecter(uid, account), options=TRANSACTIONAL
    )
    # Outputs share one key, so once s5's rejection is in, every earlier one is too.
    await eventually(
        lambda: any(event.signal_id == "s5" for event in outputs.events), what="s5's rejection"
    )
    assert [event.signal_id for event in outputs.events] == [f"s{n}" for n in range(6)]


async def test_a_replay_never_includes_the_outputs_of_an_aborted_transaction(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key, account = f"{uid}-k", f"{uid}-acct"
    for number in range(4):
        await bus.publish(SIGNALS, signal(key, number), key=key)
    crashing = Rejecter(uid, account, hang_on="s3")  # s0-s2 answered inside the open batch
    first = await bus.consume([SIGNALS], group=uid, handler=crashing, options=TRANSACTIONAL)
    await eventually(crashing.reached.is_set, what="the handler to hang on s3")
    await first.abort()
    outputs = Recorder(account)
    await bus.consume([ORDERS_EVENTS], group=f"{uid}-reader", handler=outputs)
    await (await start_bus()).consume(
        [SIGNALS], group=uid, handler=Rejecter(uid, account), options=TRANSACTIONAL
    )
    await eventually(lambda: len(outputs.messages) >= 4, what="four rejections")

    replayed = [
        message.event.signal_id
        async for message in bus.replay([ORDERS_EVENTS])
        if key_of(message) == account
    ]

    assert replayed == ["s0", "s1", "s2", "s3"]
