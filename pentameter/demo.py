"""`pentameter demo`: the end-to-end run on the local broker that `make demo` starts."""

from __future__ import annotations

import time
import uuid

import typer
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from rich.console import Console

from infra.connection import bootstrap_servers

console = Console()


def round_trip(bootstrap: str, count: int = 100) -> float:
    """Produce ``count`` events to a fresh topic and read them back; returns seconds taken."""
    topic = f"pentameter.demo.roundtrip.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=-1)])[topic].result(30)
    started = time.perf_counter()
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for i in range(count):
        producer.produce(topic, key=b"demo", value=f"event {i}".encode())
    producer.flush(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = 0
    try:
        while seen < count:
            msg = consumer.poll(5.0)
            if msg is None:
                break
            if msg.error() is None:
                seen += 1
    finally:
        consumer.close()
    admin.delete_topics([topic])[topic].result(30)
    if seen != count:
        raise RuntimeError(f"round trip lost events: sent {count}, read {seen}")
    return time.perf_counter() - started


def demo() -> None:
    """Run the demo against the local broker (or KAFKA_BOOTSTRAP_SERVERS when set)."""
    bootstrap = bootstrap_servers()
    console.print(f"[bold]Pentameter demo[/] on Kafka at {bootstrap}")
    seconds = round_trip(bootstrap)
    console.print(f"round trip: 100 events produced with acks=all and read back in {seconds * 1000:.0f} ms")
    console.print("next: `pentameter broker status`, `pentameter --help`")


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
