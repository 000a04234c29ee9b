"""The whole-topic reader against a real broker's transactions: it reads committed records only,
and ``wait_until_settled`` holds a reader back until no transaction is open on the topic."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import Producer

from consumers.topic_reader import read_topic, wait_until_settled

pytestmark = pytest.mark.kafka


def _open_transaction(bootstrap: str, topic: str, values: list[bytes]) -> Producer:
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"reader-{uuid.uuid4().hex}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for value in values:
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(30) == 0
    return producer


def test_an_open_transaction_is_invisible_and_named_until_it_commits(
    kafka_bootstrap: str, make_topic: Callable[..., str]
) -> None:
    topic = make_topic("reader.settle")
    client = {"bootstrap.servers": kafka_bootstrap}
    producer = _open_transaction(kafka_bootstrap, topic, [b"a", b"b", b"c"])

    assert list(read_topic(client, topic)) == [], "records of an open transaction are not read"
    with pytest.raises(TimeoutError, match=rf"{topic}/0 \(stable 0, end 3\)"):
        wait_until_settled(client, topic, timeout=1.0)

    committer = threading.Timer(1.0, producer.commit_transaction, args=(30,))
    committer.start()
    try:
        wait_until_settled(client, topic, timeout=30.0)  # returns once the commit marker has landed
    finally:
        committer.join()
    assert [r.value for r in read_topic(client, topic)] == [b"a", b"b", b"c"]


def test_an_aborted_transaction_settles_and_stays_unread(
    kafka_bootstrap: str, make_topic: Callable[..., str]
) -> None:
    topic = make_topic("reader.abort")
    client = {"bootstrap.servers": kafka_bootstrap}
    producer = _open_transaction(kafka_bootstrap, topic, [b"x"])
    producer.abort_transaction(30)
    wait_until_settled(client, topic, timeout=30.0)
    assert list(read_topic(client, topic)) == []
