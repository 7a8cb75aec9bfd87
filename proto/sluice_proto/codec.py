"""Encoding and per-topic decoding of events, with the failure kind the DLQ records."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any, Literal

import msgspec

from sluice_proto.common import (
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_PRODUCER,
    HEADER_SCHEMA_VERSION,
    SCHEMA_VERSION,
)
from sluice_proto.topics import topic

_encoder = msgspec.json.Encoder(decimal_format="string")

DecodeFailure = Literal["undecodable", "schema_invalid", "unknown_type"]


class EventDecodeError(ValueError):
    """A record that is not a valid event of its topic; ``kind`` says how it failed."""

    def __init__(self, kind: DecodeFailure, message: str) -> None:
        super().__init__(message)
        self.kind: DecodeFailure = kind


def encode(event: msgspec.Struct) -> bytes:
    """JSON bytes of an event (Decimals as strings, so no precision is lost)."""
    return _encoder.encode(event)


def event_type(event: msgspec.Struct) -> str:
    """The ``type`` tag of an event."""
    return str(type(event).__struct_config__.tag)


def contract_headers(event: msgspec.Struct, producer: str) -> dict[str, str]:
    """The headers every producer writes with ``event`` (a fresh event id each call)."""
    return {
        HEADER_EVENT_TYPE: event_type(event),
        HEADER_SCHEMA_VERSION: str(SCHEMA_VERSION),
        HEADER_EVENT_ID: uuid.uuid4().hex,
        HEADER_PRODUCER: producer,
    }


@cache
def _decoder(topic_name: str) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(topic(topic_name).events)


def decode(topic_name: str, data: bytes) -> Any:
    """Decode a record of ``topic_name`` into its event, or raise ``EventDecodeError``."""
    try:
        return _decoder(topic_name).decode(data)
    except msgspec.ValidationError as exc:
        message = str(exc)
        kind: DecodeFailure = (
            "unknown_type"
            if "Invalid value" in message and "`$.type`" in message
            else "schema_invalid"
        )
        raise EventDecodeError(kind, message) from exc
    except msgspec.DecodeError as exc:
        raise EventDecodeError("undecodable", str(exc)) from exc
