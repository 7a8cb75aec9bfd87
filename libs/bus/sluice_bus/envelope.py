"""Headers every published event carries, and the trace context inside them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import msgspec
from opentelemetry import propagate

from sluice_bus.api import (
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_PRODUCER,
    HEADER_SCHEMA_VERSION,
    Headers,
    Record,
)
from sluice_proto.codec import event_type
from sluice_proto.common import SCHEMA_VERSION


def outgoing_headers(
    event: msgspec.Struct, producer: str, extra: Mapping[str, str] | None = None
) -> Headers:
    """Sluice's headers plus the current W3C trace context (``traceparent``)."""
    carrier: dict[str, str] = dict(extra or {})
    carrier.update(
        {
            HEADER_EVENT_TYPE: event_type(event),
            HEADER_SCHEMA_VERSION: str(SCHEMA_VERSION),
            HEADER_EVENT_ID: uuid.uuid4().hex,
            HEADER_PRODUCER: producer,
        }
    )
    propagate.inject(carrier)
    return tuple((name, value.encode()) for name, value in carrier.items())


def headers_as_text(record: Record) -> dict[str, str]:
    """A record's headers as text (later duplicates win), for trace extraction and the DLQ."""
    return {name: value.decode("utf-8", "replace") for name, value in record.headers}
