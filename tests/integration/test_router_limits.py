"""No poison pill: records at, just under and just over the ingress and partner message limits never
stop routing, and the genuine events behind them all arrive.

Ingress: the broker refuses a value one byte over its limit outright; one at the limit or just
under it reaches the router, whose dead letter (the value plus its reason headers) is then too
large to write whole, so it is written reduced (reason, size, digest, source) and the original
stays on the ingress topic. Partner: a record at the router's limit is delivered, one byte over it
is denied on the ledger; a record the broker refuses (a partner topic configured smaller) is found
by redoing its batch one record per transaction, and only its own delivery is denied.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from consumers.deadletter import H_REDUCED
from consumers.oversize import HEADROOM, SIZE_RULE
from consumers.runtime import Runtime
from consumers.topic_reader import read_topic
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from producers.agencies import ingress_topic
from schemas.samples import sample
from schemas.validation import validate
from schemas.wire import Codec
from tests.integration.pipeline import (
    AGENCY,
    assert_each_partner_got_each_event_once,
    expected_deliveries,
    isolated_runtime,
    partner_event_ids,
    publish,
    sample_events,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
RAW_KEY = b"raw"
ONE_RECORD_BATCH = 72
"""Bytes a record batch of one uncompressed record with no headers adds to its key and value, as
the broker counts it against ``max.message.bytes`` (asserted below: one byte more is refused)."""
BIG_PARTNER = "nca.ukhtc"  # the only partner that receives an intelligence report's narrative


def _config(runtime: Runtime, topic: str, name: str) -> int:
    admin = AdminClient(runtime.client)
    resource = ConfigResource(ResourceType.TOPIC, topic)
    described = admin.describe_configs([resource])[resource].result(timeout=30)
    return int(described[name].value)


@dataclass(frozen=True)
class Written:
    value: bytes
    error: KafkaError | None
    offset: int


def _produce_raw(runtime: Runtime, topic: str, sizes: list[int]) -> dict[int, Written]:
    """Random values of ``sizes`` with no headers, one produce batch each, to partition 0."""
    producer = Producer(
        {
            "bootstrap.servers": runtime.client["bootstrap.servers"],
            "message.max.bytes": 4_000_000,
            "compression.type": "none",
            "linger.ms": 0,
        }
    )
    written: dict[int, Written] = {}
    for size in sizes:
        value = os.urandom(size)

        def report(error: KafkaError | None, message: Any, value: bytes = value) -> None:
            offset = message.offset()
            written[len(value)] = Written(value, error, -1 if offset is None else int(offset))

        producer.produce(topic, key=RAW_KEY, value=value, partition=0, on_delivery=report)
        producer.flush(60)
    return written


def _route(runtime: Runtime, **overrides: Any) -> None:
    settings = runtime.router_settings(group_id=runtime.topic(f"limits-{uuid.uuid4().hex[:6]}"), **overrides)
    runtime.router(settings).run(idle_timeout=6.0)


def _audit(runtime: Runtime) -> list[dict[str, Any]]:
    return [json.loads(r.value or b"{}") for r in read_topic(runtime.client, runtime.topic(AUDIT_TOPIC))]


def test_values_at_under_and_over_the_ingress_limit_never_stop_routing(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    topic = runtime.topic(ingress_topic(AGENCY))
    at = _config(runtime, topic, "max.message.bytes") - ONE_RECORD_BATCH - len(RAW_KEY)
    before, after = sample_events(5), sample_events(8)
    publish(runtime, [copy.deepcopy(e) for e in before])
    written = _produce_raw(runtime, topic, [at - 1, at, at + 1])
    publish(runtime, [copy.deepcopy(e) for e in after])

    over_error = written[at + 1].error
    assert over_error is not None and over_error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert written[at].error is None and written[at - 1].error is None, "the broker takes the limit itself"
    _route(runtime, batch_max_events=50)

    assert_each_partner_got_each_event_once(runtime, before + after)
    letters = list(read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)))
    assert len(letters) == 2
    for letter, size in zip(letters, [at - 1, at], strict=True):
        summary = json.loads(letter.value or b"")
        offset = written[size].offset
        assert summary["size"] == size
        assert summary["sha256"] == hashlib.sha256(written[size].value).hexdigest()
        assert summary["source"] == {"topic": topic, "partition": 0, "offset": offset}
        assert H_REDUCED in dict(letter.headers)
    originals = {r.offset: r.value for r in read_topic(runtime.client, topic) if r.key == RAW_KEY}
    kept = {w.offset: w.value for w in (written[at - 1], written[at])}
    assert originals == kept, "the originals stay on the ingress topic for inspection"
    reduced = [e for e in _audit(runtime) if e.get("kind") == "deadletter"]
    assert len(reduced) == 2 and all("over the" in e["reduced"] for e in reduced)


def _report_with_narrative(runtime: Runtime, text: str, case: str) -> tuple[dict[str, Any], int]:
    """An intelligence report carrying ``text`` and the bytes of its record for ``BIG_PARTNER``."""
    record = validate(sample("IntelligenceReport"))
    record["narrative"] = text
    envelope = record["envelope"]
    envelope["event_id"], envelope["origin_agency"], envelope["case_id"] = uuid.uuid4(), AGENCY, case
    codec = Codec(runtime.catalogue)
    routing = runtime.engine.route("IntelligenceReport", copy.deepcopy(record))
    [big] = [d for d in routing.deliveries if d.partner == BIG_PARTNER]
    value = codec.encode(runtime.catalogue.by_fingerprint(big.schema_fingerprint), big.record)
    return record, len(big.key or b"") + len(value)  # the key is the partner's pseudonym of the case


def _sized(runtime: Runtime, target: int, case: str) -> dict[str, Any]:
    """A report whose ``BIG_PARTNER`` record (key and value) is exactly ``target`` bytes."""
    length = target
    for _ in range(8):
        record, size = _report_with_narrative(runtime, "q" * length, case)
        if size == target:
            return record
        length += target - size
    raise AssertionError(f"no narrative length gives a {target}-byte record")


def _denials(runtime: Runtime, rule: str) -> dict[str, dict[str, Any]]:
    return {
        str(e["event_id"]): d
        for e in _audit(runtime)
        if e.get("kind") == "decision"
        for d in e.get("denied", ())
        if d.get("rule") == rule
    }


def test_partner_records_at_and_under_the_limit_arrive_and_one_over_it_is_denied_on_the_ledger(
    kafka_bootstrap: str,
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    limit = 40_000  # key and value of one partner record, as the router measures it
    at, under, over = (_sized(runtime, size, "CASE-BIG") for size in (limit, limit - 1, limit + 1))
    before, after = sample_events(6), sample_events(6)
    publish(runtime, [copy.deepcopy(e) for e in [*before, at, under, over, *after]])
    _route(runtime, batch_max_events=50, max_record_bytes=limit + HEADROOM)

    got = partner_event_ids(runtime)
    over_id = str(over["envelope"]["event_id"])
    expected = expected_deliveries(runtime, [*before, at, under, over, *after])
    assert over_id in expected[BIG_PARTNER] and len(expected) > 1
    expected[BIG_PARTNER].discard(over_id)  # every other partner still receives it
    for partner in runtime.partner_topics:
        ids = got.get(partner, [])
        assert sorted(ids) == sorted(expected.get(partner, set())), f"{partner} got {ids}"
    denial = _denials(runtime, SIZE_RULE)
    assert list(denial) == [over_id] and denial[over_id]["partner"] == BIG_PARTNER
    assert f"{limit + 1} bytes" in denial[over_id]["reason"]


def test_a_partner_record_the_broker_refuses_is_denied_alone_and_its_batch_goes_on(
    kafka_bootstrap: str,
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    topic = runtime.partner_topics[BIG_PARTNER]
    admin = AdminClient(runtime.client)
    entry = ConfigEntry("max.message.bytes", "20000", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[entry])
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    deadline = time.monotonic() + 30
    while _config(runtime, topic, "max.message.bytes") != 20_000:
        assert time.monotonic() < deadline, f"{topic} did not take max.message.bytes=20000 within 30 s"
        time.sleep(0.2)

    case = "CASE-REFUSED"
    neighbours = [_report_with_narrative(runtime, f"note {i}", case)[0] for i in range(6)]
    random_text = base64.b64encode(os.urandom(30_000)).decode()  # lz4 cannot shrink it under 20,000
    big, size = _report_with_narrative(runtime, random_text, case)
    assert 20_000 < size < 1_000_000 - HEADROOM, "within the router's own limit: only the broker refuses"
    publish(runtime, [copy.deepcopy(e) for e in [*neighbours[:3], big, *neighbours[3:]]])
    _route(runtime, batch_max_events=50)

    got = partner_event_ids(runtime)
    big_id = str(big["envelope"]["event_id"])
    neighbour_ids = [str(e["envelope"]["event_id"]) for e in neighbours]
    assert got[BIG_PARTNER] == neighbour_ids, "the record's neighbours in its batch all arrive, in order"
    denial = _denials(runtime, SIZE_RULE)
    assert list(denial) == [big_id] and "refused by the broker" in denial[big_id]["reason"]
