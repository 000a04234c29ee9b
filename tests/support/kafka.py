"""Find a real Kafka for the tests: an explicit cluster, a testcontainers broker, or the local one.

Order: ``KAFKA_BOOTSTRAP_SERVERS`` when set; an ``apache/kafka`` container when a Docker engine
answers; otherwise the local KRaft broker from ``infra/`` (started here if it is not running, and
stopped again at the end only when this module started it).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from infra.broker.jars import KAFKA_VERSION
from infra.broker.local import LocalCluster
from infra.broker.probe import answers
from infra.settings import load_settings


def docker_answers() -> bool:
    """True when a Docker engine answers ``GET /_ping`` (the client binary alone is not enough)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: str | tuple[str, int] = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").partition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (name, int(port or 2375))
        else:
            return False
        with sock:
            sock.settimeout(3)
            sock.connect(target)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = sock.recv(64).split(b"\r\n", 1)[0]
            return status_line.startswith(b"HTTP/1.") and b" 200" in status_line
    except OSError:
        return False


def free_port() -> int:
    """A loopback port free now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def container_kafka() -> Iterator[str]:
    """A single-node KRaft broker in the official apache/kafka image, on a fixed host port."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = free_port()
    container = (
        DockerContainer(f"apache/kafka:{KAFKA_VERSION}")
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=120)
        yield f"127.0.0.1:{port}"


@contextlib.contextmanager
def local_kafka() -> Iterator[str]:
    """The project's own local broker; reused if running, otherwise started and later stopped."""
    cluster = LocalCluster(load_settings())
    if not cluster.is_up() and answers(cluster.bootstrap_servers()):
        # another clone's local broker already serves this port: use it, leave it running
        yield cluster.bootstrap_servers()
        return
    started_here = not cluster.is_up()
    cluster.up(len(cluster.nodes()) or 1)
    try:
        yield cluster.bootstrap_servers()
    finally:
        if started_here:
            cluster.down()


@contextlib.contextmanager
def any_kafka() -> Iterator[tuple[str, str]]:
    """Yield ``(bootstrap servers, where they came from)`` following the documented order."""
    explicit = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if explicit:
        yield explicit, "KAFKA_BOOTSTRAP_SERVERS"
    elif docker_answers():
        with container_kafka() as bootstrap:
            yield bootstrap, "testcontainers"
    else:
        with local_kafka() as bootstrap:
            yield bootstrap, "local KRaft broker"
