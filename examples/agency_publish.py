"""An agency publishes events from its own system with the producer it already runs.

    python examples/agency_publish.py AGENCY events.jsonl

Each line of the file is one event as JSON (ISO 8601 dates, UUIDs as text). The agency keeps its
own ``confluent_kafka.Producer`` and adds the SDK's callables (``producers/serializers.py``): the
value serializer checks each event against the schema catalogue and encodes it, the signer adds
the provenance headers the router verifies. ``AgencyPublisher`` does the same with batching; this
shows what to add to a producer one already has.

The connection comes from the environment as for every Pentameter client
(``KAFKA_BOOTSTRAP_SERVERS``, ``PENTAMETER_PRINCIPAL``), the topic is the agency's ingress topic
(``PENTAMETER_TOPIC_PREFIX``). Exit status: 0 when every line was published; 1 when a line was
refused (each refusal on stderr, naming the line and the field); 2 when the broker did not take
an event.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.serialization import MessageField, SerializationContext

from infra.connection import client_config
from producers.agencies import deployed_ingress_topic
from producers.serializers import EventSerializer, ProvenanceSigner, event_key
from schemas.exceptions import RecordInvalid


def publish(agency: str, path: Path) -> tuple[int, int, list[str]]:
    """(published, refused, delivery errors) for one JSON Lines file."""
    topic = deployed_ingress_topic(agency)
    serialize = EventSerializer(agency)
    sign = ProvenanceSigner.for_agency(agency)
    producer = Producer({**client_config(), "enable.idempotence": True, "acks": "all"})
    failures: list[str] = []

    def delivered(error: KafkaError | None, message: Message) -> None:
        if error is not None:
            failures.append(f"{message.key()!r}: {error.str()}")

    published = refused = 0
    with path.open() as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                value = serialize(record, SerializationContext(topic, MessageField.VALUE))
            except (json.JSONDecodeError, RecordInvalid) as exc:
                print(f"refused {path.name} line {number}: {exc}", file=sys.stderr)
                refused += 1
                continue
            key = event_key(record, SerializationContext(topic, MessageField.KEY))
            producer.produce(topic, value, key, headers=sign(value, key=key), on_delivery=delivered)
            producer.poll(0)
            published += 1
    if producer.flush(60):
        failures.append("some events were not acknowledged within 60 s")
    return published, refused, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agency", help="the publishing agency's id, e.g. police.gloucestershire")
    parser.add_argument("file", type=Path, help="JSON Lines, one event a line")
    args = parser.parse_args()
    published, refused, failures = publish(args.agency, args.file)
    for failure in failures:
        print(f"not delivered: {failure}", file=sys.stderr)
    print(f"{published} event(s) published, {refused} refused")
    return 2 if failures else 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
