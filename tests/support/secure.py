"""A private secure cluster for a test module: its own state directory, free ports, the shared jar
cache, and none of the outer run's cluster, principal or topic prefix; ready with topics and ACLs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from consumers.cli import prepare
from consumers.runtime import Runtime, build_runtime
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from infra.ports import free_port_range
from infra.settings import Settings, load_settings
from pentameter.cli import app
from pentameter.demo import wait_for_grants
from tests.support.orphans import claim

OUTER_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "PENTAMETER_PRINCIPAL",
    "PENTAMETER_AUTH",
    "PENTAMETER_TOPIC_PREFIX",
)
PORTS_PER_NODE = 3
"""A secure node's SASL client, controller and mutual-TLS ports (``infra/broker/config.py``)."""


def private_secure_settings(mp: pytest.MonkeyPatch, home: Path, first_port: int, nodes: int = 1) -> Settings:
    """Point every setting at ``home`` and free ports for ``nodes`` from ``first_port``; the settings."""
    cache = load_settings().kafka_cache
    claim(home)  # a test process that dies hard leaves this cluster to the next session's sweep
    mp.setenv("PENTAMETER_KAFKA_CACHE", str(cache))
    mp.setenv("PENTAMETER_HOME", str(home))
    mp.setenv("PENTAMETER_SECURE_BROKER_PORT", str(free_port_range(PORTS_PER_NODE * nodes, first=first_port)))
    mp.setenv("PENTAMETER_BROKER_HEAP", "384m")
    for name in OUTER_VARIABLES:
        mp.delenv(name, raising=False)
    return load_settings()


@contextmanager
def granted_secure_cluster(
    home: Path, first_port: int, tls: bool = False
) -> Iterator[tuple[LocalCluster, Runtime]]:
    """A private one-node secure cluster with the system's topics and the registry's ACLs applied,
    once the broker enforces them (checked over mutual TLS with ``tls``); the cluster and the
    operator's runtime. The environment stays pointed at it until the cluster is stopped and wiped."""
    with pytest.MonkeyPatch.context() as mp:
        settings = private_secure_settings(mp, home, first_port)
        cluster = LocalCluster(settings, secure=True)
        try:
            cluster.up(1, timeout=90)
            runtime = build_runtime(settings).as_principal(principal_config("operator", settings))
            prepare(runtime)
            applied = CliRunner().invoke(app, ["acls", "apply"])
            assert applied.exit_code == 0, applied.output
            wait_for_grants(runtime, lambda principal: principal_config(principal, settings, tls=tls))
            yield cluster, runtime
        finally:
            cluster.down(wipe=True)


def produce_one(config: dict[str, Any], topic: str, value: bytes) -> KafkaError | None:
    """Produce ``value`` to ``topic`` with ``config``; the delivery error (None when delivered)."""
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "enable.idempotence": True, "acks": "all", "message.timeout.ms": 15000})
    producer.produce(topic, value=value, on_delivery=lambda err, _msg: outcome.append(err))
    producer.flush(20)
    assert outcome, "no delivery report"
    return outcome[0]


def connect_errors(config: dict[str, Any]) -> list[KafkaError] | None:
    """None when a client with ``config`` reaches the cluster, else the errors it was given."""
    errors: list[KafkaError] = []
    admin = AdminClient({**config, "error_cb": errors.append, "socket.timeout.ms": 5000})
    try:
        admin.list_topics(timeout=8)
    except KafkaException:
        admin.poll(1)  # error callbacks are served by poll
        return errors
    return None


def read_until(
    config: dict[str, Any], group: str, topic: str, want: bytes
) -> tuple[list[bytes], KafkaError | None]:
    """Values read from ``topic`` in ``group`` until ``want`` shows up (30 s at most), or the first
    error the broker sends (an authorization refusal, say)."""
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest"})
    seen: list[bytes] = []
    try:
        consumer.subscribe([topic])
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                error: KafkaError = message.error()
                return seen, error
            seen.append(message.value())
            if want in seen:
                break
    finally:
        consumer.close()
    return seen, None
