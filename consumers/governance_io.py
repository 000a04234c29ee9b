"""Kafka I/O for the governance topic: publish the catalogue, and rebuild it on the partner side.

The message format lives in :mod:`schemas.governance`; this module only moves those messages.
The router publishes every event and projection schema when it starts, so a partner can decode
anything on its topic with nothing but the governance topic (no repository, no registry server).
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer

from consumers.exceptions import Undelivered
from consumers.topic_reader import read_topic
from infra.topics import GOVERNANCE_TOPIC
from schemas.catalogue import Catalogue
from schemas.governance import catalogue_from_messages, catalogue_messages


def publish_catalogue(
    client_config: dict[str, Any], catalogue: Catalogue, topic: str = GOVERNANCE_TOPIC
) -> int:
    """Produce one message per schema version (idempotent: compaction keeps one per key)."""
    producer = Producer({**client_config, "acks": "all", "enable.idempotence": True})
    messages = catalogue_messages(catalogue)
    for key, value in messages:
        producer.produce(topic, key=key, value=value)
    remaining = producer.flush(30)
    if remaining:
        raise Undelivered(f"{remaining} governance message(s) were not delivered to {topic}")
    return len(messages)


def fetch_catalogue(client_config: dict[str, Any], topic: str = GOVERNANCE_TOPIC) -> Catalogue:
    """The catalogue as the governance topic holds it now."""
    return catalogue_from_messages((r.key or b"", r.value) for r in read_topic(client_config, topic))
