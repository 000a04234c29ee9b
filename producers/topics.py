"""Ingress topics: create an agency's topic when it is missing, delete scratch topics.

Brokers run with automatic topic creation off, so a topic exists only when someone made it on
purpose; ingest and the benchmark make theirs here with the project's shape (3 partitions so
cases spread, replication factor -1 so the broker's default applies on one node or three).
Each function takes the client's librdkafka settings, so it connects as the caller's principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

INGRESS_PARTITIONS = 3
BROKER_DEFAULT_REPLICATION = -1


def topic_exists(client: Mapping[str, Any], topic: str, timeout: float = 30.0) -> bool:
    metadata = AdminClient(dict(client)).list_topics(timeout=timeout)
    found = metadata.topics.get(topic)
    return found is not None and found.error is None


def ensure_topic(
    client: Mapping[str, Any],
    topic: str,
    *,
    partitions: int = INGRESS_PARTITIONS,
    replication_factor: int = BROKER_DEFAULT_REPLICATION,
    timeout: float = 30.0,
) -> bool:
    """Create ``topic`` unless it exists; True when this call created it."""
    if topic_exists(client, topic, timeout):
        return False
    admin = AdminClient(dict(client))
    future = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)]
    )[topic]
    try:
        future.result(timeout)
    except KafkaException as exc:
        if (
            exc.args
            and isinstance(exc.args[0], KafkaError)
            and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
        ):
            return False  # made by someone else meanwhile
        raise
    return True


def delete_topic(client: Mapping[str, Any], topic: str, timeout: float = 30.0) -> None:
    """Delete ``topic`` and wait for the broker to confirm."""
    admin = AdminClient(dict(client))  # keep the handle alive until the result
    admin.delete_topics([topic])[topic].result(timeout)
