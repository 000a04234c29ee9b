"""An event published twice reaches each partner once: the second copy is a dead letter that names
where the first was routed, within one batch, across batches and after a router restart."""

from __future__ import annotations

import copy

import pytest
from confluent_kafka import Producer

from consumers.deadletter import Reason, read_rejection
from consumers.runtime import Runtime
from consumers.topic_reader import read_topic
from infra.topics import DEAD_LETTER_TOPIC
from producers.agencies import ingress_topic
from tests.integration.pipeline import (
    AGENCY,
    assert_each_partner_got_each_event_once,
    isolated_runtime,
    partner_event_ids,
    publish,
    sample_events,
)

pytestmark = pytest.mark.kafka


def _route(runtime: Runtime, group: str, recent_events: int = 10_000) -> None:
    settings = runtime.router_settings(
        group_id=runtime.topic(group), batch_max_events=5, recent_events=recent_events
    )
    runtime.router(settings).run(idle_timeout=4.0)


def _duplicates(runtime: Runtime) -> list[tuple[str, str]]:
    """(source of the copy, detail) of every duplicate_event dead letter."""
    found = []
    for record in read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)):
        verdict = read_rejection(record.headers)
        assert verdict is not None
        rejection, source, _ = verdict
        if rejection.reason is Reason.DUPLICATE_EVENT:
            found.append((source, rejection.detail))
    return found


def _replay(runtime: Runtime, count: int) -> list[str]:
    """Produce the first ``count`` ingress records again, byte for byte (headers and signature too),
    to the partition they came from; returns their event ids' ingress offsets as sources."""
    topic = runtime.topic(ingress_topic(AGENCY))
    records = list(read_topic(runtime.client, topic))[:count]
    producer = Producer({"bootstrap.servers": runtime.client["bootstrap.servers"]})
    for record in records:
        producer.produce(
            topic, value=record.value, key=record.key, headers=record.headers, partition=record.partition
        )
    assert producer.flush(30) == 0
    return [f"{topic}/{r.partition}@{r.offset}" for r in records]


def test_an_event_published_twice_in_one_run_reaches_each_partner_once(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(12)
    again = [copy.deepcopy(e) for e in events[:4]]  # re-published: a new signed batch, the same ids
    publish(runtime, [copy.deepcopy(e) for e in events])
    publish(runtime, again)
    _route(runtime, "dup-once")

    assert_each_partner_got_each_event_once(runtime, events)
    duplicates = _duplicates(runtime)
    assert len(duplicates) == 4
    ids = {str(e["envelope"]["event_id"]) for e in events[:4]}
    for source, detail in duplicates:
        assert any(f"event {i} was already routed from " in detail for i in ids), detail
        assert source not in detail  # the copy names the first routing, not itself


def test_a_restarted_router_refuses_a_replay_of_what_it_routed_before(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(10)
    publish(runtime, [copy.deepcopy(e) for e in events])
    _route(runtime, "dup-restart")
    replayed_from = _replay(runtime, 3)  # byte-for-byte copies, genuine signatures
    fresh = sample_events(2)
    publish(runtime, [copy.deepcopy(e) for e in fresh])
    _route(runtime, "dup-restart")  # a new worker: its window is rebuilt from the ingress topic

    assert_each_partner_got_each_event_once(runtime, events + fresh)
    duplicates = _duplicates(runtime)
    assert len(duplicates) == 3
    assert sorted(d.split(" already routed from ")[1].split(";")[0] for _, d in duplicates) == sorted(
        replayed_from
    )


def test_with_the_window_off_a_replay_is_delivered_again(kafka_bootstrap: str) -> None:
    """The check above is what stops the copies: without it, Kafka's exactly-once per record lets
    a replayed event through a second time."""
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(6)
    publish(runtime, [copy.deepcopy(e) for e in events])
    _route(runtime, "dup-off", recent_events=0)
    _replay(runtime, 2)
    _route(runtime, "dup-off", recent_events=0)

    got = partner_event_ids(runtime)
    assert any(len(ids) != len(set(ids)) for ids in got.values())
    assert _duplicates(runtime) == []
