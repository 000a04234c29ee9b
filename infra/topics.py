"""The system's topics: names of the shared ones, and creating any that are missing.

Ingress and partner topics are named by the partner registry (``pentameter.ingress.<agency>``,
``pentameter.partner.<partner>``); the shared topics below are the same for every deployment.
Each partner also has a governance topic of its own (``pentameter.governance.<partner>``) that
holds only its projection schemas, so no partner learns which fields another partner is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

AUDIT_TOPIC = "pentameter.audit"
DEAD_LETTER_TOPIC = "pentameter.deadletter"
GOVERNANCE_TOPIC = "pentameter.governance"
"""Event schemas: the contract every agency publishes against."""


def partner_governance_topic(partner: str) -> str:
    """The compacted topic holding ``partner``'s projection schemas and nobody else's."""
    return f"{GOVERNANCE_TOPIC}.{partner}"


def governance_spec(name: str) -> TopicSpec:
    """A governance topic: one partition (schemas in order), compacted (one message per version)."""
    return TopicSpec(name, partitions=1, config={"cleanup.policy": "compact"})


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the system needs it."""

    name: str
    partitions: int = 3
    replication_factor: int = -1  # the broker's default.replication.factor
    config: dict[str, str] = field(default_factory=dict)


def shared_topics() -> list[TopicSpec]:
    """Audit (kept forever), dead letters (kept 30 days), governance (compacted)."""
    return [
        TopicSpec(AUDIT_TOPIC, partitions=3, config={"retention.ms": "-1", "retention.bytes": "-1"}),
        TopicSpec(DEAD_LETTER_TOPIC, partitions=1, config={"retention.ms": str(30 * 24 * 3600 * 1000)}),
        governance_spec(GOVERNANCE_TOPIC),
    ]


def ensure_topics(admin: AdminClient, specs: Iterable[TopicSpec], timeout: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [s for s in specs if s.name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(
                s.name, num_partitions=s.partitions, replication_factor=s.replication_factor, config=s.config
            )
            for s in missing
        ],
        request_timeout=timeout,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return created
