"""The real broker answers both Python clients the project uses: confluent-kafka and aiokafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from confluent_kafka import Consumer, Producer

from infra.broker.probe import describe

pytestmark = pytest.mark.kafka


def test_cluster_describes_itself(kafka_bootstrap: str) -> None:
    info = describe(kafka_bootstrap)
    assert info.cluster_id
    assert info.brokers and all(b.reachable for b in info.brokers)


def test_confluent_kafka_round_trip(kafka_bootstrap: str, make_topic: Callable[..., str]) -> None:
    topic = make_topic("smoke.confluent")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all", "enable.idempotence": True})
    sent = [f"message-{i}".encode() for i in range(50)]
    for value in sent:
        producer.produce(topic, value=value, key=b"case-1")
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"smoke-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    received: list[bytes] = []
    try:
        for _ in range(100):
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                received.append(msg.value())
            if len(received) == len(sent):
                break
    finally:
        consumer.close()
    assert received == sent  # one key, one partition: order kept


def test_aiokafka_round_trip(kafka_bootstrap: str, make_topic: Callable[..., str]) -> None:
    topic = make_topic("smoke.aiokafka")

    async def round_trip() -> list[bytes]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for i in range(20):
                await producer.send_and_wait(topic, f"async-{i}".encode(), key=b"case-2")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=f"smoke-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        got: list[bytes] = []
        try:
            while len(got) < 20:
                batch = await consumer.getmany(timeout_ms=10_000)
                if not batch:
                    break
                for messages in batch.values():
                    got.extend(m.value for m in messages)
        finally:
            await consumer.stop()
        return got

    assert asyncio.run(round_trip()) == [f"async-{i}".encode() for i in range(20)]
