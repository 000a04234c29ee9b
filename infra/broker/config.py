"""Render the KRaft configuration of each local node: combined broker and controller on loopback.

One node is a development cluster (replication factor 1). Three nodes form a real quorum with
replication factor 3 and ``min.insync.replicas`` 2, so fault tests can kill a leader and lose
nothing that was acknowledged with ``acks=all``.

Ports: node ``i`` (from 0) uses ``base + 2i`` for clients and ``base + 2i + 1`` for its controller.
A secure cluster's node also has a mutual-TLS client port, ``base + 2n + i`` for ``n`` nodes: after
every node's pair, so the pairs (and the plain cluster's layout) stay as they were and a cluster
of ``n`` nodes occupies ``3n`` consecutive ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.security import TLS_LISTENER, ListenerTls, secure_listener_properties

HOST = "127.0.0.1"


@dataclass(frozen=True)
class NodeSpec:
    """Where one node listens and keeps its files."""

    node_id: int
    client_port: int
    controller_port: int
    directory: Path
    tls_port: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.client_port}"

    @property
    def tls_bootstrap(self) -> str:
        if self.tls_port is None:
            raise ValueError(f"node {self.node_id} has no TLS listener")
        return f"{HOST}:{self.tls_port}"

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port the node listens on."""
        extra = () if self.tls_port is None else (self.tls_port,)
        return (self.client_port, self.controller_port, *extra)

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def config_file(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / "node.pid"


def plan_nodes(count: int, base_port: int, root: Path, tls: bool = False) -> list[NodeSpec]:
    """Lay out ``count`` nodes with consecutive port pairs starting at ``base_port``; with ``tls``
    one TLS port per node follows the pairs (see the module doc)."""
    return [
        NodeSpec(
            node_id=i + 1,
            client_port=base_port + 2 * i,
            controller_port=base_port + 2 * i + 1,
            directory=root / f"node-{i + 1}",
            tls_port=base_port + 2 * count + i if tls else None,
        )
        for i in range(count)
    ]


def render_server_properties(
    node: NodeSpec,
    all_nodes: list[NodeSpec],
    broker_password: str | None = None,
    tls: ListenerTls | None = None,
) -> str:
    """The ``server.properties`` for ``node`` within a cluster of ``all_nodes``.

    With ``broker_password`` the node is secure (see ``infra/security.py``): a SASL_PLAINTEXT
    client listener with SCRAM-SHA-512, a SASL PLAIN controller listener, the StandardAuthorizer
    and deny-by-default; the file then holds a secret and is written 0600 by the caller. With
    ``tls`` as well, a mutual-TLS listener on the node's TLS port.
    """
    replication = min(3, len(all_nodes))
    min_isr = 2 if replication >= 3 else 1
    voters = ",".join(f"{n.node_id}@{HOST}:{n.controller_port}" for n in all_nodes)
    lines = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{HOST}:{node.client_port},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{node.client_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(node.data_dir),
        "num.partitions": "3",
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replication),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
        "log.segment.bytes": str(64 * 1024 * 1024),
        "transaction.max.timeout.ms": "900000",
    }
    if broker_password is not None:
        client = f"SASL_PLAINTEXT://{HOST}:{node.client_port}"
        if tls is not None:
            client += f",{TLS_LISTENER}://{node.tls_bootstrap}"
        lines["listeners"] = f"{client},CONTROLLER://{HOST}:{node.controller_port}"
        lines["advertised.listeners"] = client
        lines.update(secure_listener_properties(broker_password, tls=tls))
    header = f"# Generated by `pentameter broker up` for node {node.node_id}; edits are overwritten.\n"
    return header + "".join(f"{k}={v}\n" for k, v in lines.items())


def render_log4j2(node: NodeSpec) -> str:
    """A log4j2 properties file sending the node's logs to ``server.log`` in its directory."""
    return (
        "status = warn\n"
        "appender.file.type = File\n"
        "appender.file.name = FILE\n"
        f"appender.file.fileName = {node.log_file}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = INFO\n"
        "rootLogger.appenderRef.file.ref = FILE\n"
        "logger.kafka.name = kafka\n"
        "logger.kafka.level = INFO\n"
        "logger.state.name = state.change.logger\n"
        "logger.state.level = WARN\n"
        "logger.request.name = kafka.request.logger\n"
        "logger.request.level = WARN\n"
    )
