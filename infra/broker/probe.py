"""Read a live cluster's shape through the Kafka Admin API, never from local files.

Used by `broker status`, by readiness checks after `broker up`, and by the test fixture to decide
whether a broker already answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient


@dataclass(frozen=True)
class BrokerInfo:
    """One broker as the cluster metadata lists it, plus whether it answered directly."""

    node_id: int
    host: str
    port: int
    reachable: bool

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ClusterInfo:
    """What the live cluster says about itself."""

    cluster_id: str
    controller_id: int
    brokers: tuple[BrokerInfo, ...]


def _admin(bootstrap: str, extra: dict[str, str] | None = None) -> AdminClient:
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": "3000",
        "logger": quiet_logger(),
    }
    config.update(extra or {})
    return AdminClient(config)


def quiet_logger(name: str = "pentameter.probe") -> logging.Logger:
    """A logger that swallows librdkafka's connection-refused chatter, for clients that talk to
    brokers expected to be down at times (probes, fault runs)."""
    logger = logging.getLogger(name)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def answers(bootstrap: str, timeout: float = 2.0, extra: dict[str, str] | None = None) -> bool:
    """True when a broker at ``bootstrap`` returns metadata within ``timeout`` seconds."""
    try:
        _admin(bootstrap, extra).list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


def describe(bootstrap: str, timeout: float = 5.0, extra: dict[str, str] | None = None) -> ClusterInfo:
    """Cluster id, controller and every registered broker, each probed on its own address."""
    admin = _admin(bootstrap, extra)
    result = admin.describe_cluster(request_timeout=timeout).result(timeout=timeout + 1)
    brokers = tuple(
        BrokerInfo(
            node_id=node.id,
            host=node.host,
            port=node.port,
            reachable=answers(f"{node.host}:{node.port}", timeout=min(timeout, 2.0), extra=extra),
        )
        for node in sorted(result.nodes, key=lambda n: n.id)
    )
    controller = result.controller.id if result.controller is not None else -1
    return ClusterInfo(cluster_id=result.cluster_id, controller_id=controller, brokers=brokers)
