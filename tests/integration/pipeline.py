"""Helpers for end-to-end tests: an isolated topic namespace, publishing, and reading back."""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from dataclasses import replace
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from consumers.runtime import Runtime, build_runtime
from consumers.topic_reader import read_topic
from infra.settings import load_settings
from infra.topics import ensure_topics
from producers.agencies import ingress_topic
from producers.publisher import AgencyPublisher
from schemas.samples import sample
from schemas.validation import validate
from schemas.wire import Codec

AGENCY = "police.gloucestershire"


def isolated_runtime(bootstrap: str) -> Runtime:
    """A runtime whose every topic carries a fresh prefix, with its topics created."""
    settings = replace(load_settings(), topic_prefix=f"t{uuid.uuid4().hex[:8]}.", bootstrap_servers=bootstrap)
    runtime = build_runtime(settings)
    ensure_topics(AdminClient(runtime.client), runtime.topic_specs())
    runtime.publish_governance()
    return runtime


def sample_events(count: int, agency: str = AGENCY) -> list[dict[str, Any]]:
    """``count`` valid events cycling through every event type, each with a fresh id and case."""
    types = ["IntelligenceReport", "PotentialVictimEncounter", "NRMReferral", "DutyToNotify",
             "NRMDecision", "PremisesVisit", "Arrest", "AssetSeizure"]  # fmt: skip
    base = {t: validate(sample(t)) for t in types}
    events = []
    for i in range(count):
        record = copy.deepcopy(base[types[i % len(types)]])
        envelope = record["envelope"]
        envelope["event_id"] = uuid.uuid4()
        envelope["origin_agency"] = agency
        if envelope.get("case_id") is not None:
            envelope["case_id"] = f"CASE-{i % 97:03d}"
        events.append(record)
    return events


def current_events(count: int, agency: str = AGENCY) -> list[dict[str, Any]]:
    """Like :func:`sample_events`, Duty to Notify left out (the partner tests read victims' and
    officers' records); the samples are dated within their review dates."""
    return [e for e in sample_events(count, agency) if e["envelope"]["event_type"] != "DutyToNotify"]


def publish(runtime: Runtime, events: list[dict[str, Any]], agency: str = AGENCY) -> None:
    topic = runtime.topic(ingress_topic(agency))
    bootstrap = str(runtime.client["bootstrap.servers"])
    with AgencyPublisher(
        agency, topic=topic, bootstrap_servers=bootstrap, catalogue=runtime.catalogue
    ) as pub:
        for event in events:
            pub.publish(event)


def route_to_partners(runtime: Runtime, events: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Publish ``events``, route them until the router idles; what each partner must now hold."""
    publish(runtime, events)
    runtime.router(runtime.router_settings()).run(idle_timeout=4.0)
    return expected_deliveries(runtime, events)


def produce_raw(runtime: Runtime, topic: str, value: bytes, headers: list[tuple[str, bytes]] | None) -> None:
    producer = Producer({"bootstrap.servers": runtime.client["bootstrap.servers"]})
    producer.produce(topic, value=value, key=b"raw", headers=headers)
    assert producer.flush(30) == 0


def partner_event_ids(runtime: Runtime) -> dict[str, list[str]]:
    """Partner id -> event ids on its topic, in topic order (duplicates kept, to be counted)."""
    codec = Codec(runtime.catalogue)
    found: dict[str, list[str]] = defaultdict(list)
    for partner, topic in runtime.partner_topics.items():
        for record in read_topic(runtime.client, topic):
            assert record.value is not None
            _, decoded = codec.decode(record.value)
            envelope = decoded.get("envelope", decoded)
            found[partner].append(str(envelope["event_id"]))
    return found


def expected_deliveries(runtime: Runtime, events: list[dict[str, Any]]) -> dict[str, set[str]]:
    """What the agreements say each partner must receive, computed offline by the same engine."""
    expected: dict[str, set[str]] = defaultdict(set)
    for event in events:
        routing = runtime.engine.route(event["envelope"]["event_type"], copy.deepcopy(event))
        for delivery in routing.deliveries:
            expected[delivery.partner].add(str(event["envelope"]["event_id"]))
    return expected


def assert_each_partner_got_each_event_once(runtime: Runtime, events: list[dict[str, Any]]) -> None:
    """Every partner holds exactly the events its agreements entitle it to, each once."""
    got = partner_event_ids(runtime)
    expected = expected_deliveries(runtime, events)
    assert expected
    for partner in runtime.partner_topics:
        ids = got.get(partner, [])
        assert sorted(ids) == sorted(expected.get(partner, set())), f"{partner} got {ids}"
