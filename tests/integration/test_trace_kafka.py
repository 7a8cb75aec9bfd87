"""One trace across producer → consumer → second producer → second consumer on real Kafka.

Run with and without opentelemetry-instrumentation-aiokafka: either way each record carries
exactly one ``traceparent`` and each handler runs inside a span of the producer's trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
from opentelemetry.trace import SpanKind

from sluice_bus import HandlerResult, Message, Outgoing, make_bus
from sluice_proto.orders import OrderRejected
from sluice_proto.signals import Signal
from sluice_proto.topics import ORDERS_EVENTS, SIGNALS
from tests.support.polling import eventually
from tests.support.tracing import span_exporter

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


@pytest.fixture(params=[False, True], ids=["sluice-spans", "aiokafka-instrumentation"])
def instrumented(request: pytest.FixtureRequest) -> Iterator[bool]:
    if request.param:
        AIOKafkaInstrumentor().instrument()
    yield request.param
    if request.param:
        AIOKafkaInstrumentor().uninstrument()


def trace_id_of(message: Message[Any]) -> str:
    """The trace id in a record's (single) traceparent header."""
    values = [value for name, value in message.record.headers if name == "traceparent"]
    assert len(values) == 1, f"expected one traceparent, got {values}"
    return values[0].decode().split("-")[1]


def current_trace_id() -> str:
    return format(trace.get_current_span().get_span_context().trace_id, "032x")


async def test_one_trace_id_from_strategy_to_the_second_consumer(
    kafka_bootstrap: str, instrumented: bool
) -> None:
    exporter = span_exporter()
    uid = uuid.uuid4().hex[:10]
    key, account = f"{uid}-strategy", f"{uid}-acct"
    seen: dict[str, str] = {}

    async def risk(message: Message[Any]) -> HandlerResult:
        if message.record.key != key.encode():
            return None
        seen["signal record"], seen["risk handler"] = trace_id_of(message), current_trace_id()
        rejection = OrderRejected(
            client_order_id=message.event.client_order_id,
            account=account,
            reason_code="KILL_SWITCH",
            message="trace test",
        )
        return [Outgoing(ORDERS_EVENTS, rejection, account)]

    async def router(message: Message[Any]) -> HandlerResult:
        if message.record.key == account.encode():
            seen["order record"], seen["router handler"] = trace_id_of(message), current_trace_id()
        return None

    strategy, risk_bus, router_bus = (
        make_bus(name, kafka_bootstrap) for name in ("strategy", "risk", "router")
    )
    for bus in (strategy, risk_bus, router_bus):
        await bus.start()
    try:
        await risk_bus.consume([SIGNALS], group=f"{uid}-risk", handler=risk)
        await router_bus.consume([ORDERS_EVENTS], group=f"{uid}-router", handler=router)
        signal = Signal(
            signal_id="s1",
            strategy_id=key,
            symbol="AAPL",
            side="BUY",
            quantity=Decimal(1),
            order_type="MKT",
        )
        await strategy.publish(SIGNALS, signal, key=key)
        await eventually(lambda: "router handler" in seen, what="the router to get the order")
    finally:
        for bus in (router_bus, risk_bus, strategy):
            await bus.stop()

    assert len(set(seen.values())) == 1, seen
    spans = [
        span
        for span in exporter.get_finished_spans()
        if span.context is not None
        and format(span.context.trace_id, "032x") == seen["risk handler"]
    ]
    producers = [span for span in spans if span.kind == SpanKind.PRODUCER]
    processes = sorted(
        (span for span in spans if span.name.endswith(" process")),
        key=lambda span: span.start_time or 0,
    )
    assert [span.name for span in processes] == [f"{SIGNALS} process", f"{ORDERS_EVENTS} process"]
    assert len(producers) == 2
    # Each process span is a child of the span that produced its record.
    for process in processes:
        assert process.parent is not None
        assert process.parent.span_id in {p.context.span_id for p in producers if p.context}
