"""Read a whole topic from the beginning to its current end, committed records only.

Operators' tools (audit verify and trace, dead-letter listing, governance lookups, test checks)
need "everything there is now", not a subscription: this assigns every partition explicitly, reads
to the end offsets taken at the start, and stops. No consumer group offsets are committed.

librdkafka still looks up a group coordinator for the consumer's group (a group id is mandatory),
which the secure cluster allows only on granted groups: the group is named
``pentameter-reader-<principal>-<random>`` (``reader_group_prefix``), a prefix ``acls apply``
grants to every principal, so any component can read the topics it may read.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from consumers.exceptions import ReadFailed, TopicNotReadable


@dataclass(frozen=True)
class Record:
    """One committed record with where it sits."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp_ms: int


def _bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def reader_group_prefix(principal: str | None) -> str:
    """The consumer group prefix of ``read_topic`` for a principal (``None``: no authentication)."""
    return f"pentameter-reader-{principal or 'anonymous'}-"


def _reader(client_config: dict[str, Any], isolation: str = "read_committed") -> Consumer:
    principal = client_config.get("sasl.username")
    return Consumer(
        {
            **client_config,
            "group.id": reader_group_prefix(str(principal) if principal else None) + uuid.uuid4().hex,
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "enable.partition.eof": True,
        }
    )


def _partitions(consumer: Consumer, topic: str, timeout: float) -> list[int]:
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    denied = metadata is not None and metadata.error is not None
    if denied and metadata.error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
        raise TopicNotReadable(f"this principal may not read topic {topic!r} (no ACL grants it)")
    if metadata is None or metadata.error is not None:
        raise LookupError(f"topic {topic!r} does not exist")
    return sorted(metadata.partitions)


def wait_until_settled(client_config: dict[str, Any], topic: str, timeout: float = 60.0) -> None:
    """Wait until no transaction is open on ``topic``: its committed end equals its log end.

    A transaction's commit returns once the coordinator has decided it; the markers reach each
    partition a moment later, and until then a committed reader's end (the last stable offset)
    stops short of the transaction's records. Call this after the writers have stopped, before
    reading "everything": TimeoutError names a partition still holding an open transaction.
    """
    committed, uncommitted = _reader(client_config), _reader(client_config, "read_uncommitted")
    try:
        partitions = _partitions(committed, topic, timeout)
        deadline = time.monotonic() + timeout
        while True:
            open_ = []
            for partition in partitions:
                tp = TopicPartition(topic, partition)
                stable = committed.get_watermark_offsets(tp, timeout=timeout)[1]
                end = uncommitted.get_watermark_offsets(tp, timeout=timeout)[1]
                if stable < end:
                    open_.append(f"{topic}/{partition} (stable {stable}, end {end})")
            if not open_:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"a transaction is still open after {timeout:.0f} s on {', '.join(open_)}")
            time.sleep(0.2)
    finally:
        committed.close()
        uncommitted.close()


def read_topic(client_config: dict[str, Any], topic: str, timeout: float = 30.0) -> Iterator[Record]:
    """Yield every committed record of ``topic``, partition by partition, in offset order."""
    consumer = _reader(client_config)
    try:
        for partition in _partitions(consumer, topic, timeout):
            yield from _read_partition(consumer, topic, partition, timeout)
    finally:
        consumer.close()


def read_tail(
    client_config: dict[str, Any], topic: str, count: int, timeout: float = 30.0
) -> Iterator[Record]:
    """Yield the last ``count`` committed records of each partition of ``topic``, in offset order."""
    consumer = _reader(client_config)
    try:
        for partition in _partitions(consumer, topic, timeout):
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
            yield from _read_partition(consumer, topic, partition, timeout, start=high - count)
    finally:
        consumer.close()


def _read_partition(
    consumer: Consumer,
    topic: str,
    partition: int,
    timeout: float,
    start: int | None = None,
) -> Iterator[Record]:
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
    start = low if start is None else max(start, low)
    if high <= start:
        return
    consumer.assign([TopicPartition(topic, partition, start if start > low else OFFSET_BEGINNING)])
    while True:
        message = consumer.poll(timeout)
        if message is None:
            raise TimeoutError(f"no record from {topic}/{partition} within {timeout}s (end is {high})")
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return
            raise ReadFailed(f"reading {topic}/{partition}: {error}")
        raw_headers = message.headers()
        headers = [(k, _bytes(v) or b"") for k, v in raw_headers] if isinstance(raw_headers, list) else []
        offset = int(message.offset() or 0)
        if offset >= high:
            return
        yield Record(
            topic,
            partition,
            offset,
            _bytes(message.key()),
            _bytes(message.value()),
            headers,
            message.timestamp()[1],
        )
        if offset + 1 >= high:
            return
