"""Create the topic catalogue on a Kafka cluster (idempotent; safe when services race)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from sluice_proto.topics import TOPICS, TopicSpec

MAX_REPLICATION = 3


def new_topic(spec: TopicSpec, partitions: int, brokers: int) -> NewTopic:
    """The topic as we create it: replicated up to 3 ways, compacted when the catalogue says so.

    With three replicas ``min.insync.replicas=2`` makes ``acks=all`` survive one broker loss.
    """
    replication = min(MAX_REPLICATION, brokers)
    configs = {"cleanup.policy": "compact"} if spec.compacted else {}
    if replication >= MAX_REPLICATION:
        configs["min.insync.replicas"] = "2"
    return NewTopic(spec.name, spec.partitions or partitions, replication, topic_configs=configs)


async def ensure_topics(bootstrap: str, partitions: int, client_id: str) -> None:
    """Create every catalogue topic that is missing; existing topics are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    try:
        await admin.start()  # inside: a failed start (broker down) still closes its client
        existing = set(await admin.list_topics())
        brokers = len((await admin.describe_cluster())["brokers"])
        missing = [
            new_topic(spec, partitions, brokers)
            for name, spec in sorted(TOPICS.items())
            if name not in existing
        ]
        if not missing:
            return
        response = await admin.create_topics(missing)
        for name, code, message in _errors(response):
            if code != TopicAlreadyExistsError.errno:
                raise KafkaError(f"creating topic {name} failed: error {code} {message}")
    finally:
        await admin.close()


def _errors(response: object) -> list[tuple[str, int, str | None]]:
    """(topic, error code, message) for each topic the broker did not create."""
    return [
        (error[0], error[1], error[2] if len(error) > 2 else None)
        for error in getattr(response, "topic_errors", ())
        if error[1] != 0
    ]
