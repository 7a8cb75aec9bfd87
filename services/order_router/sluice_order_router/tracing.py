"""One trace per order: the IBKR call gets its own span, and IBKR's later pushes continue it.

An approved order arrives inside the bus's ``process`` span, which continues the strategy's
trace. Fills and cancels come back later from the broker connection, outside any span, so the
desk keeps each order's trace context and re-enters it to publish those events. Contexts live
only in memory: after a router restart, late pushes for replayed orders start new traces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, trace

from sluice_proto import ApprovedOrder

_tracer = trace.get_tracer("sluice.order_router")


@contextmanager
def ibkr_call(operation: str, order: ApprovedOrder, path: str) -> Iterator[None]:
    """A CLIENT span around one call to IBKR about ``order`` (e.g. ``ibkr place_order``)."""
    with _tracer.start_as_current_span(
        f"ibkr {operation}",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "sluice.client_order_id": order.client_order_id,
            "sluice.account": order.account,
            "sluice.symbol": order.instrument.symbol,
            "sluice.ibkr.api": path,
        },
    ):
        yield


class OrderTraces:
    """The trace context each order was approved in, by ``client_order_id``."""

    def __init__(self) -> None:
        self._contexts: dict[str, context.Context] = {}

    def remember(self, client_order_id: str) -> None:
        """Keep the current context (call while handling the approved order)."""
        self._contexts[client_order_id] = context.get_current()

    def forget(self, client_order_id: str) -> None:
        """Drop an order's context once nothing more can happen to it."""
        self._contexts.pop(client_order_id, None)

    @contextmanager
    def resumed(self, client_order_id: str) -> Iterator[None]:
        """Run the block in the order's trace, if it is known; else in the current context."""
        saved = self._contexts.get(client_order_id)
        if saved is None:
            yield
            return
        token = context.attach(saved)
        try:
            yield
        finally:
            context.detach(token)
