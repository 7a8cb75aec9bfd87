"""``sluice.dlq.v1``: records a service could not handle, kept whole with the reason."""

from __future__ import annotations

from typing import Literal

import msgspec

from sluice_proto.common import UtcDatetime, utc_now

DeadLetterKind = Literal["undecodable", "schema_invalid", "unknown_type", "handler_failed"]


class DeadLetter(msgspec.Struct, kw_only=True, tag_field="type", tag="dead_letter"):
    """The original record (bytes base64-encoded in JSON) and why it was not handled."""

    original_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    kind: DeadLetterKind
    error: str
    service: str
    attempts: int = 1
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
