"""Headers every published event carries, and the trace context inside them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import msgspec
from opentelemetry import propagate, trace

from sluice_bus.api import Headers, Record
from sluice_proto.codec import contract_headers

_tracer = trace.get_tracer("sluice.bus")


@contextmanager
def publish_span(topic: str) -> Iterator[None]:
    """A PRODUCER span around one publish, so every record carries a ``traceparent``."""
    with _tracer.start_as_current_span(
        f"{topic} publish",
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
        },
    ):
        yield


def outgoing_headers(
    event: msgspec.Struct,
    producer: str,
    extra: Mapping[str, str] | None = None,
    *,
    trace_context: bool = True,
) -> Headers:
    """Sluice's headers plus the current W3C trace context (``traceparent``).

    With ``trace_context=False`` no trace fields are written (not even from ``extra``):
    the caller's instrumentation injects them, and a record must never carry two.
    """
    carrier: dict[str, str] = dict(extra or {})
    if not trace_context:
        for name in propagate.get_global_textmap().fields:
            carrier.pop(name, None)
    carrier.update(contract_headers(event, producer))
    if trace_context:
        propagate.inject(carrier)
    return tuple((name, value.encode()) for name, value in carrier.items())


def headers_as_text(record: Record) -> dict[str, str]:
    """A record's headers as text (later duplicates win), for trace extraction and the DLQ."""
    return {name: value.decode("utf-8", "replace") for name, value in record.headers}
