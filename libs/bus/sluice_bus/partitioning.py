"""Key → partition, the same way Kafka's default partitioner does it (murmur2).

The in-memory backend uses it so a key lands on the same partition number on both backends.
"""

from __future__ import annotations

import itertools

from aiokafka.partitioner import murmur2

_round_robin = itertools.count()


def partition_for(key: bytes | None, partitions: int) -> int:
    """Kafka's choice for a keyed record; keyless records are spread round-robin."""
    if key is None:
        return next(_round_robin) % partitions
    return int(murmur2(key) & 0x7FFFFFFF) % partitions
