"""One trace id from the strategy's signal through risk, the router and its IBKR call, to the
processing of the fill event, as the service processes export it over OTLP."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider

from sluice_proto import OrderFilled
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS, SIGNALS
from tests.e2e.otlp import OtlpReceiver, ReceivedSpan
from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


def found(
    spans: list[ReceivedSpan], service: str, name: str, attributes: dict[str, object]
) -> bool:
    return any(
        s.service == service
        and s.name == name
        and all(s.attributes.get(k) == v for k, v in attributes.items())
        for s in spans
    )


async def test_one_trace_covers_signal_risk_router_ibkr_call_and_fill(
    stack: ProcessStack, otlp: OtlpReceiver
) -> None:
    tracer = TracerProvider().get_tracer("e2e-strategy")  # the strategy's own SDK
    with tracer.start_as_current_span("strategy decides") as root:
        signal = await stack.signal("AAPL", "BUY", 3)
    trace_id = format(root.get_span_context().trace_id, "032x")

    assert (await stack.outcome(signal))[-1] == "order_filled"
    [filled] = [
        m for m in stack.recorder.order_events(signal.client_order_id)
        if isinstance(m.event, OrderFilled)
    ]  # fmt: skip
    assert trace_id in (filled.record.header("traceparent") or "")

    expected: dict[str, tuple[str, str, dict[str, object]]] = {
        "risk decides the signal": ("risk", f"{SIGNALS} process", {}),
        "the router takes the approved order": ("order-router", f"{ORDERS_APPROVED} process", {}),
        "the router calls IBKR": (
            "order-router",
            "ibkr place_order",
            {"sluice.client_order_id": signal.client_order_id},
        ),
        "risk processes the fill event": (
            "risk",
            f"{ORDERS_EVENTS} process",
            {
                "messaging.destination.partition.id": str(filled.record.partition),
                "messaging.kafka.offset": filled.record.offset,
            },
        ),
    }

    def missing() -> list[str]:
        spans = otlp.spans(trace_id)
        return [
            step
            for step, (service, name, attributes) in expected.items()
            if not found(spans, service, name, attributes)
        ]

    try:
        await stack.until(f"every step in trace {trace_id}", lambda: not missing(), 15)
    except AssertionError:
        seen = sorted({(s.service, s.name) for s in otlp.spans(trace_id)})
        pytest.fail(f"trace {trace_id} lacks {missing()}; it has {seen}")
