"""Kafka I/O for the governance topics: publish the catalogue, and rebuild it on the partner side.

The message format lives in :mod:`schemas.governance`; this module only moves those messages.
The router publishes the event schemas to the shared governance topic, and each partner's
projection schemas to that partner's own governance topic (``infra.topics.
partner_governance_topic``), which only that partner may read: a partner can decode everything on
its topic with nothing but its governance topic (no repository, no registry server), and learns
nothing of what any other partner is sent. A projection an earlier version published on the shared
topic is withdrawn there with a tombstone of its key (no partner may read that topic any more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import Producer

from consumers.exceptions import NoGovernanceTopic, Undelivered
from consumers.topic_reader import read_topic
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.governance import catalogue_from_messages, entry_message


def partner_of(entry: SchemaEntry) -> str | None:
    """The partner a projection schema was derived for (None for event schemas)."""
    partner = entry.schema.get("partner") if entry.kind == "projection" else None
    return str(partner) if partner else None


def publish_catalogue(
    client_config: dict[str, Any],
    catalogue: Catalogue,
    shared_topic: str,
    partner_topics: Mapping[str, str],
) -> int:
    """Produce one message per schema version to the topic it belongs on (idempotent: compaction
    keeps one per key); returns how many. A projection whose partner has no governance topic in
    ``partner_topics`` is an error, never a fallback to the shared topic."""
    producer = Producer({**client_config, "acks": "all", "enable.idempotence": True})
    sent = 0
    for entry in catalogue:
        partner = partner_of(entry)
        if partner is None:
            topic = shared_topic
        elif partner in partner_topics:
            topic = partner_topics[partner]
        else:
            raise NoGovernanceTopic(f"{entry.label} is for {partner}, which has no governance topic")
        key, value = entry_message(entry)
        producer.produce(topic, key=key, value=value)
        if topic != shared_topic:  # withdrawn where an earlier version published it, unread
            producer.produce(shared_topic, key=key, value=None)
        sent += 1
    remaining = producer.flush(30)
    if remaining:
        raise Undelivered(f"{remaining} governance message(s) were not delivered")
    return sent


def fetch_catalogue(client_config: dict[str, Any], topic: str) -> Catalogue:
    """The catalogue as a governance topic holds it now."""
    return catalogue_from_messages((r.key or b"", r.value) for r in read_topic(client_config, topic))
