"""The router against a real broker: every partner gets exactly its projection, bad input becomes a
dead letter with its reason, and the ledger verifies (and stops verifying when tampered with)."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from consumers.deadletter import read_rejection
from consumers.ledger import verify_entries
from consumers.runtime import ROUTER_IDENTITY
from consumers.topic_reader import read_topic
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from pentameter.hostile import inject_hostile
from producers.agencies import ingress_topic
from tests.integration.pipeline import (
    AGENCY,
    expected_deliveries,
    isolated_runtime,
    partner_event_ids,
    publish,
    sample_events,
)

pytestmark = pytest.mark.kafka


def _run_router(runtime, group: str) -> None:  # type: ignore[no-untyped-def]
    router = runtime.router(runtime.router_settings(group_id=group, batch_max_events=50))
    router.run(idle_timeout=4.0)


def test_every_partner_gets_exactly_its_projection_once(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(64)
    publish(runtime, events)
    _run_router(runtime, "router-e2e")

    got = partner_event_ids(runtime)
    expected = expected_deliveries(runtime, events)
    assert expected, "the baseline agreements deliver the samples to someone"
    for partner in runtime.partner_topics:
        ids = got.get(partner, [])
        assert len(ids) == len(set(ids)), f"duplicates on {partner}"
        assert set(ids) == expected.get(partner, set()), f"wrong records on {partner}"

    report = verify_entries(
        ((r.offset, r.value or b"") for r in read_topic(runtime.client, runtime.topic(AUDIT_TOPIC))),
        runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get,
    )
    assert report.ok, [str(p) for p in report.problems]
    assert report.entries >= len(events)


def test_each_kind_of_bad_input_becomes_a_dead_letter_with_its_reason(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    good = sample_events(8)
    cases = inject_hostile(runtime, AGENCY, "police.metropolitan", good[0])
    publish(runtime, good)
    _run_router(runtime, "router-dlq")

    dead = list(read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)))
    reasons = {}
    for record in dead:
        verdict = read_rejection(record.headers)
        assert verdict is not None
        rejection, source, _ = verdict
        assert source.startswith(runtime.topic(ingress_topic(AGENCY)))
        assert rejection.detail, "every dead letter says why"
        reasons[record.value] = rejection.reason.value
    assert reasons == cases  # original bytes kept, one dead letter per bad record, right reason
    delivered = {i for ids in partner_event_ids(runtime).values() for i in ids}
    assert {str(e["envelope"]["event_id"]) for e in good if expected_deliveries(runtime, [e])} <= delivered


def test_ledger_detects_tampering_in_a_copied_topic(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    publish(runtime, sample_events(16))
    _run_router(runtime, "router-audit")
    audit = list(read_topic(runtime.client, runtime.topic(AUDIT_TOPIC)))
    busiest = max({r.partition for r in audit}, key=lambda p: sum(r.partition == p for r in audit))
    entries = [r.value or b"" for r in audit if r.partition == busiest]
    trusted = runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get
    assert verify_entries(enumerate(entries), trusted).ok

    altered = list(entries)
    first = json.loads(altered[0])
    first["agency"] = "someone.else"
    altered[0] = json.dumps(first).encode()
    copy_topic = runtime.topic("tampered-audit")
    producer = Producer({"bootstrap.servers": runtime.client["bootstrap.servers"]})
    admin = AdminClient(runtime.client)
    admin.create_topics([NewTopic(copy_topic, 1, -1)])[copy_topic].result(30)
    for value in altered:
        producer.produce(copy_topic, value=value)
    producer.flush(30)
    report = verify_entries(
        ((r.offset, r.value or b"") for r in read_topic(runtime.client, copy_topic)), trusted
    )
    assert not report.ok
    assert any("altered" in str(p) for p in report.problems)
