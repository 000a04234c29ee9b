"""The agency publisher against the real broker: batches sealed by size and by time, and
delivery failures reported to the caller."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.topic_reader import Record, read_topic
from producers.exceptions import DeliveryFailed
from producers.publisher import AgencyPublisher, DeliveryReport
from schemas.provenance import H_SIZE, Signer, Verifier
from schemas.samples import sample_json

pytestmark = pytest.mark.kafka


AGENCY = "police.gloucestershire"


def report(case: str | None = None) -> dict[str, Any]:
    record = sample_json("IntelligenceReport")
    record["envelope"]["origin_agency"] = AGENCY
    record["envelope"]["event_id"] = str(uuid.uuid4())
    record["envelope"]["case_id"] = case
    return record


def read(bootstrap: str, topic: str, expected: int, timeout: float = 60.0) -> list[Record]:
    """Every committed record of ``topic`` from the beginning to its current end."""
    records = list(read_topic({"bootstrap.servers": bootstrap}, topic, timeout))
    assert len(records) >= expected, f"{topic}: {len(records)} record(s), expected {expected}"
    return records


def test_batches_close_at_the_batch_size_and_on_flush(
    kafka_bootstrap: str, make_topic: Callable[..., str]
) -> None:
    topic = make_topic(prefix="test.producers.batches")
    signer = Signer(AGENCY, Ed25519PrivateKey.generate())
    with AgencyPublisher(
        AGENCY,
        topic=topic,
        bootstrap_servers=kafka_bootstrap,
        signer=signer,
        batch_size=500,
        linger_ms=600_000,
        timer=False,
    ) as publisher:
        for i in range(1200):
            publisher.publish(report(f"CASE-{i % 7}"))
        assert publisher.pending >= 200  # the last 200 wait for flush
    assert publisher.delivered == 1200
    messages = read(kafka_bootstrap, topic, 1200)
    sizes = Counter(int(dict(m.headers)[H_SIZE]) for m in messages)
    assert sizes == {500: 1000, 200: 200}
    verifier = Verifier({signer.key_id: signer.private_key.public_key()}.get)
    for message in messages:
        verifier.verify(message.key, message.value or b"", message.headers)


def test_a_quiet_agency_is_not_held_back_by_the_batch(
    kafka_bootstrap: str, make_topic: Callable[..., str]
) -> None:
    topic = make_topic(prefix="test.producers.linger")
    signer = Signer(AGENCY, Ed25519PrivateKey.generate())
    delivered: list[DeliveryReport] = []
    with AgencyPublisher(
        AGENCY, topic=topic, bootstrap_servers=kafka_bootstrap, signer=signer, linger_ms=20
    ) as publisher:
        for _ in range(3):
            publisher.publish(report("CASE-1"), on_delivery=delivered.append)
        deadline = time.monotonic() + 30
        while len(delivered) < 3 and time.monotonic() < deadline:  # no flush: the timer seals and polls
            time.sleep(0.05)
        assert len(delivered) == 3 and all(d.ok and d.topic == topic for d in delivered)
        offsets = [d.offset or 0 for d in delivered]
        assert offsets == sorted(offsets)


def test_delivery_failure_reaches_the_callback_and_flush(kafka_bootstrap: str) -> None:
    missing = f"test.producers.missing.{uuid.uuid4().hex[:10]}"  # never created; auto-create is off
    signer = Signer(AGENCY, Ed25519PrivateKey.generate())
    delivered: list[DeliveryReport] = []
    publisher = AgencyPublisher(
        AGENCY,
        topic=missing,
        bootstrap_servers=kafka_bootstrap,
        signer=signer,
        config={"message.timeout.ms": 3000},
    )
    event_ids = [publisher.publish(report("CASE-9"), on_delivery=delivered.append) for _ in range(2)]
    with pytest.raises(DeliveryFailed) as caught:
        publisher.close()
    assert sorted(caught.value.event_ids) == sorted(event_ids)
    assert sorted(d.event_id for d in delivered) == sorted(event_ids)
    assert all(not d.ok and d.error is not None and d.offset is None for d in delivered)
    assert publisher.delivered == 0
