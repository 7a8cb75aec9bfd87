"""Every record carries Sluice's headers and exactly one W3C trace context."""

from __future__ import annotations

import re

from sluice_proto.common import (
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_PRODUCER,
    HEADER_SCHEMA_VERSION,
)
from sluice_proto.topics import SIGNALS
from tests.contract.conftest import StartBus, signal
from tests.contract.recording import Recorder
from tests.support.polling import eventually

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]$")


async def test_published_records_carry_event_headers_and_one_traceparent(
    start_bus: StartBus, uid: str
) -> None:
    bus = await start_bus()
    key = f"{uid}-k"
    await bus.publish(SIGNALS, signal(key, 0), key=key, headers={"x-origin": "test"})
    recorder = Recorder(uid)
    await bus.consume([SIGNALS], group=uid, handler=recorder)
    await eventually(lambda: len(recorder.messages) == 1, what="the signal")

    record = recorder.messages[0].record
    assert record.header(HEADER_EVENT_TYPE) == "signal"
    assert record.header(HEADER_SCHEMA_VERSION) == "1"
    assert re.fullmatch(r"[0-9a-f]{32}", record.header(HEADER_EVENT_ID) or "")
    assert record.header(HEADER_PRODUCER) == "contract"
    assert record.header("x-origin") == "test"
    assert [name for name, _ in record.headers].count("traceparent") == 1
    assert TRACEPARENT.match(record.header("traceparent") or "")
