"""The router's tracing: a span around the IBKR call, and later events back in the order's trace."""

from __future__ import annotations

from decimal import Decimal

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan

from sluice_order_router.tracing import OrderTraces, ibkr_call
from sluice_proto import ApprovedOrder, Instrument
from tests.support.tracing import span_exporter

tracer = trace.get_tracer("test")


def test_events_published_later_continue_the_trace_the_order_was_approved_in() -> None:
    span_exporter()
    traces = OrderTraces()
    with tracer.start_as_current_span("approved order process") as approved:
        traces.remember("sl-1")
    with tracer.start_as_current_span("ibkr push"), traces.resumed("sl-1"):
        fill = tracer.start_span("fill publish")
    fill.end()

    assert fill.get_span_context().trace_id == approved.get_span_context().trace_id
    assert isinstance(fill, ReadableSpan)
    assert fill.parent is not None
    assert fill.parent.span_id == approved.get_span_context().span_id


def test_an_unknown_or_forgotten_order_stays_in_the_current_trace() -> None:
    span_exporter()
    traces = OrderTraces()
    with tracer.start_as_current_span("approved order process"):
        traces.remember("sl-1")
    traces.forget("sl-1")
    with tracer.start_as_current_span("ibkr push") as push:
        for order in ("sl-1", "sl-unknown"):
            with traces.resumed(order):
                span = tracer.start_span("publish")
            span.end()
            assert span.get_span_context().trace_id == push.get_span_context().trace_id


def test_the_ibkr_call_is_a_client_span_naming_the_order() -> None:
    exporter = span_exporter()
    order = ApprovedOrder(
        client_order_id="sl-42", strategy_id="s", signal_id="1", account="DU1",
        instrument=Instrument(symbol="AAPL"), side="BUY", quantity=Decimal(1), order_type="MKT",
    )  # fmt: skip
    with ibkr_call("place_order", order, "socket"):
        pass

    [span] = [s for s in exporter.get_finished_spans() if s.name == "ibkr place_order"
              and (s.attributes or {}).get("sluice.client_order_id") == "sl-42"]  # fmt: skip
    assert span.kind is trace.SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "sluice.client_order_id": "sl-42",
        "sluice.account": "DU1",
        "sluice.symbol": "AAPL",
        "sluice.ibkr.api": "socket",
    }
