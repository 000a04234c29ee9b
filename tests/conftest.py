"""Fixtures shared by every suite; the broker fixture is session-wide and real (never a mock)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.support.kafka import any_kafka
from tests.support.orphans import sweep


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop private test clusters whose test process died hard in an earlier session."""
    killed = sweep()
    if killed:
        print(f"stopped {len(killed)} Kafka node(s) left by a test process that died: pids {killed}")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Apache Kafka (see tests/support/kafka.py for the order)."""
    with any_kafka() as (bootstrap, _source):
        yield bootstrap


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture
def make_topic(kafka_admin: AdminClient) -> Iterator[Callable[..., str]]:
    """Create uniquely named topics for one test and delete them afterwards."""
    created: list[str] = []

    def make(prefix: str = "test", partitions: int = 3, config: dict[str, str] | None = None) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:10]}"
        futures = kafka_admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=-1, config=config or {})]
        )
        futures[name].result(timeout=30)
        created.append(name)
        return name

    yield make
    if created:
        for future in kafka_admin.delete_topics(created).values():
            future.result(timeout=30)
