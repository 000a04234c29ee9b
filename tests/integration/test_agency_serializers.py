"""An agency keeps its own confluent_kafka.Producer and adds the SDK's callables: what it produces
is routed to partners like the publisher's batches, and a bad record is refused before sending."""

from __future__ import annotations

import copy

import pytest
from confluent_kafka import Producer
from confluent_kafka.serialization import MessageField, SerializationContext

from producers.agencies import ingress_topic
from producers.serializers import EventSerializer, ProvenanceSigner, event_key
from schemas.exceptions import RecordInvalid
from tests.integration.pipeline import (
    AGENCY,
    assert_each_partner_got_each_event_once,
    current_events,
    isolated_runtime,
)

pytestmark = pytest.mark.kafka


def test_a_plain_producer_with_the_callables_reaches_the_partners(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    topic = runtime.topic(ingress_topic(AGENCY))
    serialize = EventSerializer(AGENCY, runtime.catalogue)
    sign = ProvenanceSigner.for_agency(AGENCY)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    events = current_events(14)
    for event in events:
        value = serialize(event, SerializationContext(topic, MessageField.VALUE))
        key = event_key(event, SerializationContext(topic, MessageField.KEY))
        producer.produce(topic, key=key, value=value, headers=sign(value, key=key))
    assert producer.flush(30) == 0

    bad = copy.deepcopy(events[0])
    bad["tlp"] = "PURPLE"
    with pytest.raises(RecordInvalid, match=f"record for {topic} .*field tlp"):
        serialize(bad, SerializationContext(topic, MessageField.VALUE))

    runtime.router(runtime.router_settings()).run(idle_timeout=4.0)
    assert_each_partner_got_each_event_once(runtime, events)
