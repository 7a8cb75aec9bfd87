"""Internal ``sluice.risk.outbox.v1``: a consumer's outbox, a bus-level record.

Not an event of the contract: no service reads it as one. A consumer run with
``ConsumerOptions(outbox=...)`` writes one ``OutboxBatch`` per fetched batch before it
publishes the batch's outputs and commits its offsets, so that after a crash the bus can
publish those outputs again, byte for byte, and start the group past the batch
(``Bus.settle_outbox``; docs/risk.md "Exactly-once decisions and restart").
"""

from __future__ import annotations

import msgspec

from sluice_proto.common import UtcDatetime, utc_now


class OutboxPosition(msgspec.Struct, kw_only=True):
    """Where the group goes on in one partition once the batch is settled."""

    topic: str
    partition: int
    offset: int


class OutboxOutput(msgspec.Struct, kw_only=True):
    """One output exactly as it is produced (bytes base64-encoded in JSON)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


class OutboxBatch(msgspec.Struct, kw_only=True, tag_field="type", tag="outbox_batch"):
    """A consumer group's batch: its outputs and the offsets after it (keyed by the group)."""

    group: str
    positions: list[OutboxPosition]
    outputs: list[OutboxOutput]
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
