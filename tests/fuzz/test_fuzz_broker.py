"""Hostile raw records on a real ingress topic end as dead letters, each with a reason from the closed
list and its original bytes, while the genuine events beside them are routed."""

from __future__ import annotations

import random

import pytest

from consumers.deadletter import Reason, read_rejection
from consumers.topic_reader import read_topic
from infra.topics import DEAD_LETTER_TOPIC
from pentameter.hostile import inject_hostile
from producers.agencies import ingress_topic
from schemas.provenance import Signer
from schemas.wire import Codec
from tests.integration.pipeline import (
    AGENCY,
    expected_deliveries,
    isolated_runtime,
    partner_event_ids,
    produce_raw,
    publish,
    sample_events,
)

pytestmark = [pytest.mark.kafka, pytest.mark.fuzz]


def test_fuzzed_records_on_an_ingress_topic_become_dead_letters_with_reasons(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    good = sample_events(8)
    cases = inject_hostile(runtime, AGENCY, "police.metropolitan", good[0])
    codec = Codec(runtime.catalogue)
    signer = Signer(AGENCY, runtime.keys.signing_key(AGENCY))
    topic = runtime.topic(ingress_topic(AGENCY))
    rng = random.Random(20261124)
    fuzzed: set[bytes] = set()
    fingerprints = [runtime.catalogue.latest(t).fingerprint for t in runtime.catalogue.event_types()]
    for i in range(24):
        value = bytearray(codec.encode(good[i % 8]["envelope"]["event_type"], good[i % 8]))
        if i % 3 == 0:  # schema confusion: the body under another event type's fingerprint
            value[2:10] = fingerprints[(i + 1) % len(fingerprints)]
        else:  # a few random bytes of the body overwritten
            for _ in range(1 + i % 4):
                value[rng.randrange(10, len(value))] = rng.randrange(256)
        data = bytes(value)
        if data in fuzzed or data in cases:
            continue
        fuzzed.add(data)
        produce_raw(runtime, topic, data, signer.seal([(b"raw", data)])[0])
    publish(runtime, good)

    router = runtime.router(
        runtime.router_settings(group_id=runtime.topic("fuzz-router"), batch_max_events=50)
    )
    router.run(idle_timeout=4.0)

    dead = {}
    for record in read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)):
        verdict = read_rejection(record.headers)
        assert verdict is not None
        rejection, source, _ = verdict
        assert source.startswith(topic) and rejection.detail
        assert record.value is not None
        dead[record.value] = rejection.reason
    assert {v: dead.get(v) for v in cases} == {v: Reason(r) for v, r in cases.items()}
    routed = fuzzed - dead.keys()  # a mutation may leave a valid event (e.g. another valid enum symbol)
    assert len(routed) < len(fuzzed) / 2, "most mutations are refused"
    duplicates = {v for v, reason in dead.items() if reason is Reason.DUPLICATE_EVENT}
    assert set(dead) - duplicates == set(cases) | (fuzzed - routed - duplicates)

    def event_id(value: bytes) -> str:
        return str(codec.decode(value)[1]["envelope"]["event_id"])

    # a valid mutation keeps its event's id and is routed first: the genuine event (or another valid
    # mutation) with that id is then a duplicate, never delivered twice
    assert {event_id(v) for v in duplicates} <= {event_id(v) for v in routed}
    delivered = {i for ids in partner_event_ids(runtime).values() for i in ids}
    assert {str(e["envelope"]["event_id"]) for e in good if expected_deliveries(runtime, [e])} <= delivered
    print(f"{len(fuzzed)} fuzzed records: {len(fuzzed) - len(routed)} dead letters, {len(routed)} valid")
    print(sorted(r.value for r in dead.values()))
