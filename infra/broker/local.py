"""Run Apache Kafka in KRaft mode on loopback with the machine's Java: start, stop, inspect.

State lives under ``$PENTAMETER_HOME/broker``: one directory per node (config, data, log, pid
file) and ``cluster.json`` recording the cluster id and shape. Only processes whose pid files we
wrote are ever signalled, so a Kafka started by someone else is left alone.

The secure cluster (``$PENTAMETER_HOME/broker-secure``, 0700) also keeps its SCRAM credential store
and its TLS material (``tls/``: the cluster CA, the brokers' and the clients' certificates).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.broker.config import HOST, NodeSpec, plan_nodes, render_log4j2, render_server_properties
from infra.broker.errors import ClusterMismatch, PortInUse, StartFailed, ToolMissing
from infra.broker.jars import KAFKA_VERSION, ensure_jars
from infra.broker.probe import ClusterInfo, answers, describe
from infra.credentials import CredentialError, CredentialStore
from infra.security import (
    BROKER_PRINCIPAL,
    OPERATOR_PRINCIPAL,
    SCRAM_ITERATIONS,
    SCRAM_MECHANISM,
    sasl_client_config,
    tls_client_config,
)
from infra.settings import Settings
from infra.tls import ClusterTls

Progress = Callable[[str], None]
_VERSION_LINE = re.compile(r"Kafka version: (\S+)")


def _silent(_: str) -> None:
    return None


def java_command() -> str:
    """Path of a Java 17+ runtime (``JAVA_HOME`` first, then PATH), or a clear error."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ToolMissing(
            "Java 17 or newer is needed to run the Kafka broker and none was found "
            "(set JAVA_HOME or install e.g. `apt-get install openjdk-17-jre-headless`)."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', out)
    if match is None or int(match.group(1)) < 17:
        raise ToolMissing(f"Kafka {KAFKA_VERSION} needs Java 17 or newer; {java} reports: {out.strip()}")
    return java


def pid_alive(pid: int, command: str | None = "java") -> bool:
    """True when ``pid`` is a live (not zombie) process running ``command`` (any with None), so a
    reused pid is not mistaken for the one recorded."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs: trust the signal probe
        return True
    name, _, rest = stat.partition("(")[2].rpartition(")")
    state = rest.split()[0] if rest.split() else "?"
    return state != "Z" and (command is None or name == command)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, or a note that it does not exist."""
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class NodeState:
    """A node of the local cluster and whether its process runs."""

    spec: NodeSpec
    pid: int | None

    @property
    def running(self) -> bool:
        return self.pid is not None


class LocalCluster:
    """The Kafka cluster this project runs on the local machine."""

    def __init__(self, settings: Settings, secure: bool = False) -> None:
        self.settings = settings
        self.secure = secure
        self.root = settings.secure_broker_dir if secure else settings.broker_dir
        self.default_port = settings.secure_broker_port if secure else settings.broker_port
        self.state_file = self.root / "cluster.json"

    # -- credentials (secure cluster only) -----------------------------------------------------
    @property
    def credentials(self) -> CredentialStore:
        """The generated passwords of this cluster's principals (``credentials.json``, 0600)."""
        return CredentialStore(self.root / "credentials.json")

    def client_config_for(self, principal: str) -> dict[str, str]:
        """Client settings to connect as ``principal`` (the plain cluster: no authentication)."""
        if not self.secure:
            return {"bootstrap.servers": self.bootstrap_servers()}
        password = self.credentials.get(principal)
        return sasl_client_config(self.bootstrap_servers(), principal, password)

    @property
    def tls(self) -> ClusterTls:
        """The cluster CA and the certificates it issued (``tls/`` in the state directory)."""
        return ClusterTls(self.root / "tls")

    def tls_client_config_for(self, principal: str) -> dict[str, str]:
        """Client settings to connect as ``principal`` with a client certificate (mutual TLS), the
        certificate issued on first use; the secure cluster only."""
        if not self.secure:
            raise CredentialError("mutual TLS is only on the secure cluster (`broker up --secure`)")
        files = self.tls.ensure_client(principal)
        return tls_client_config(self.tls_bootstrap_servers(), files.ca, files.certificate, files.key)

    def tls_bootstrap_servers(self) -> str:
        """Comma-separated mutual-TLS addresses of the recorded secure nodes."""
        return ",".join(n.tls_bootstrap for n in self._planned())

    def _probe_extra(self) -> dict[str, str] | None:
        """What readiness probes add to authenticate (the operator on the secure cluster)."""
        if not self.secure:
            return None
        config = self.client_config_for(OPERATOR_PRINCIPAL)
        config.pop("bootstrap.servers")
        return config

    # -- what is there -------------------------------------------------------------------------
    def recorded_shape(self) -> dict[str, object] | None:
        """The cluster id, node count and ports written by the last ``up``."""
        if not self.state_file.exists():
            return None
        shape: dict[str, object] = json.loads(self.state_file.read_text())
        return shape

    def nodes(self) -> list[NodeState]:
        """Every node of the recorded cluster with its live pid (None when stopped)."""
        shape = self.recorded_shape()
        if shape is None:
            return []
        return [NodeState(spec, self._live_pid(spec)) for spec in self._planned()]

    def _planned(self) -> list[NodeSpec]:
        """The recorded nodes' layout (one node on the default port when nothing is recorded)."""
        shape = self.recorded_shape()
        nodes = int(str(shape["nodes"])) if shape else 1
        base = int(str(shape["base_port"])) if shape else self.default_port
        return plan_nodes(nodes, base, self.root, tls=self.secure)

    def bootstrap_servers(self) -> str:
        """Comma-separated client addresses of the recorded nodes."""
        return ",".join(n.bootstrap for n in self._planned())

    def is_up(self) -> bool:
        states = self.nodes()
        return bool(states) and all(s.running for s in states)

    @staticmethod
    def _live_pid(spec: NodeSpec) -> int | None:
        if not spec.pid_file.exists():
            return None
        try:
            pid = int(spec.pid_file.read_text().strip())
        except ValueError:
            return None
        return pid if pid_alive(pid) else None

    # -- up ------------------------------------------------------------------------------------
    def up(self, node_count: int = 1, progress: Progress = _silent, timeout: float = 90.0) -> ClusterInfo:
        """Start the cluster (idempotent) and return it once every broker answers."""
        if node_count not in (1, 3):
            raise ValueError("--nodes must be 1 or 3")
        shape = self.recorded_shape()
        states = self.nodes()
        if shape is not None and int(str(shape["nodes"])) != node_count:
            if any(s.running for s in states):
                raise ClusterMismatch(
                    f"a {shape['nodes']}-node local cluster is running; "
                    f"run `pentameter broker down` before asking for {node_count} node(s)"
                )
            progress(f"discarding the stopped {shape['nodes']}-node cluster's data")
            shutil.rmtree(self.root)
            shape = None
        if shape is not None and all(s.running for s in states):
            self._refuse_outdated(states)
            progress("already up")
            return self.wait_ready(len(states), timeout)

        java = java_command()
        progress(f"fetching Apache Kafka {KAFKA_VERSION} jars (cached after the first run)")
        libs = ensure_jars(self.settings.kafka_cache)
        base_port = int(str(shape["base_port"])) if shape else self.default_port
        specs = plan_nodes(node_count, base_port, self.root, tls=self.secure)
        cluster_id = str(shape["cluster_id"]) if shape else _new_cluster_id()
        to_start = [s for s in specs if self._live_pid(s) is None]
        for spec in to_start:
            for port in spec.ports:
                if not _port_free(port):
                    variable = "PENTAMETER_SECURE_BROKER_PORT" if self.secure else "PENTAMETER_BROKER_PORT"
                    needs = ", ".join(str(p) for p in spec.ports[:-1]) + f" and {spec.ports[-1]}"
                    raise PortInUse(
                        f"port {port} on {HOST} is in use by another process; stop it or set "
                        f"{variable} to a free range (node {spec.node_id} needs {needs})"
                    )
        self.root.mkdir(parents=True, exist_ok=True)
        recorded: dict[str, object] = {
            "cluster_id": cluster_id,
            "nodes": node_count,
            "base_port": base_port,
            "kafka_version": KAFKA_VERSION,
        }
        if self.secure:
            os.chmod(self.root, 0o700)
            recorded["secure"] = True
            self.credentials.ensure(BROKER_PRINCIPAL, OPERATOR_PRINCIPAL)
        self.state_file.write_text(json.dumps(recorded, indent=2))
        for spec in to_start:
            self._write_config(spec, specs)
            if not (spec.data_dir / "meta.properties").exists():
                progress(f"formatting KRaft storage of node {spec.node_id}")
                self._format(java, libs, spec, cluster_id)
        for spec in to_start:
            progress(f"starting node {spec.node_id} on {spec.bootstrap}")
            self._start(java, libs, spec)
        progress("waiting for every broker to answer")
        return self.wait_ready(node_count, timeout)

    def _refuse_outdated(self, states: list[NodeState]) -> None:
        """A running secure node started before it had a TLS listener cannot serve certificates."""
        if not self.secure:
            return
        for state in states:
            config = state.spec.config_file.read_text() if state.spec.config_file.exists() else ""
            if state.spec.tls_port is not None and f":{state.spec.tls_port}" not in config:
                raise ClusterMismatch(
                    f"the running secure node {state.spec.node_id} has no mutual-TLS listener (started by "
                    "an earlier version); run `pentameter broker down --secure`, then `broker up --secure`"
                )

    def _write_config(self, spec: NodeSpec, specs: list[NodeSpec]) -> None:
        spec.directory.mkdir(parents=True, exist_ok=True)
        password = self.credentials.get(BROKER_PRINCIPAL) if self.secure else None
        tls = self.tls.ensure_broker() if self.secure else None
        text = render_server_properties(spec, specs, broker_password=password, tls=tls)
        fd = os.open(spec.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(spec.config_file, 0o600)
        (spec.directory / "log4j2.properties").write_text(render_log4j2(spec))

    def _java_base(self, java: str, libs: Path, spec: NodeSpec) -> list[str]:
        return [
            java,
            f"-Xmx{self.settings.broker_heap}",
            f"-Xms{self.settings.broker_heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={spec.directory / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
        ]

    def _format(self, java: str, libs: Path, spec: NodeSpec, cluster_id: str) -> None:
        cmd = [
            *self._java_base(java, libs, spec),
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",  # one token: a random id may start with "-"
            "-c",
            str(spec.config_file),
            "--ignore-formatted",
        ]
        secrets: list[str] = []
        if self.secure:
            # The operators' SCRAM credentials must exist before the brokers talk to each other.
            for principal, password in self.credentials.ensure(BROKER_PRINCIPAL, OPERATOR_PRINCIPAL).items():
                secrets.append(password)
                cmd += [
                    "--add-scram",
                    f"{SCRAM_MECHANISM}=[name={principal},iterations={SCRAM_ITERATIONS},password={password}]",
                ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            output = f"{proc.stdout}{proc.stderr}"
            for secret in secrets:
                output = output.replace(secret, "***")
            raise StartFailed(f"formatting storage of node {spec.node_id} failed:\n{output}")

    def _start(self, java: str, libs: Path, spec: NodeSpec) -> None:
        """Spawn the node in its own session, detached: it outlives the command that started it."""
        cmd = [*self._java_base(java, libs, spec), "kafka.Kafka", str(spec.config_file)]
        out = os.open(spec.directory / "stdout.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            pid = os.posix_spawn(
                java,
                cmd,
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, out, 1),
                    (os.POSIX_SPAWN_DUP2, out, 2),
                ],
                setsid=True,
            )
        finally:
            os.close(out)
        spec.pid_file.write_text(f"{pid}\n")

    def wait_ready(self, node_count: int, timeout: float = 90.0) -> ClusterInfo:
        """Block until the cluster lists ``node_count`` reachable brokers, or fail with logs."""
        deadline = time.monotonic() + timeout
        bootstrap = self.bootstrap_servers()
        extra = self._probe_extra()
        last_error = ""
        while time.monotonic() < deadline:
            for state in self.nodes():
                if not state.running:
                    stdout_tail = log_tail(state.spec.directory / "stdout.log", 10)
                    raise StartFailed(
                        f"node {state.spec.node_id} exited during start-up; its log ends with:\n"
                        f"{log_tail(state.spec.log_file)}\n{stdout_tail}"
                    )
            if answers(bootstrap, timeout=2.0, extra=extra):
                try:
                    info = describe(bootstrap, timeout=5.0, extra=extra)
                except Exception as exc:  # the cluster is still electing; keep waiting
                    last_error = str(exc)
                else:
                    if len(info.brokers) == node_count and all(b.reachable for b in info.brokers):
                        return info
            time.sleep(0.5)
        tails = "\n".join(f"--- node {s.spec.node_id}\n{log_tail(s.spec.log_file)}" for s in self.nodes())
        raise StartFailed(f"the cluster did not answer within {timeout:.0f}s {last_error}\n{tails}")

    # -- down ----------------------------------------------------------------------------------
    def down(self, progress: Progress = _silent, wipe: bool = False, timeout: float = 30.0) -> int:
        """Stop the nodes this tool started; returns how many were running."""
        stopped = 0
        for state in self.nodes():
            if state.pid is not None:
                progress(f"stopping node {state.spec.node_id} (pid {state.pid})")
                self.signal_node(state.spec.node_id, signal.SIGTERM)
                stopped += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(s.running for s in self.nodes()):
            time.sleep(0.2)
        for state in self.nodes():
            if state.pid is not None:
                progress(f"node {state.spec.node_id} ignored SIGTERM; killing it")
                os.kill(state.pid, signal.SIGKILL)
        for state in self.nodes():
            state.spec.pid_file.unlink(missing_ok=True)
        if wipe and self.root.exists():
            progress(f"removing {self.root}")
            shutil.rmtree(self.root)
        return stopped

    # -- single nodes (fault tests) ------------------------------------------------------------
    def signal_node(self, node_id: int, sig: signal.Signals) -> None:
        """Send ``sig`` to one node we started (SIGKILL, SIGSTOP, SIGCONT in fault tests)."""
        for state in self.nodes():
            if state.spec.node_id == node_id and state.pid is not None:
                os.kill(state.pid, sig)
                return
        raise StartFailed(f"node {node_id} is not running")

    def start_node(self, node_id: int) -> None:
        """Restart one stopped node of the recorded cluster with its existing data."""
        java = java_command()
        libs = ensure_jars(self.settings.kafka_cache)
        specs = [s.spec for s in self.nodes()]
        for spec in specs:
            if spec.node_id == node_id:
                if self._live_pid(spec) is None:
                    self._write_config(spec, specs)
                    self._start(java, libs, spec)
                return
        raise StartFailed(f"node {node_id} is not part of the local cluster")

    # -- inspection ----------------------------------------------------------------------------
    def running_version(self) -> str | None:
        """The version the running node logged at start-up (``Kafka version: X``)."""
        for state in self.nodes():
            if state.running and state.spec.log_file.exists():
                found = _VERSION_LINE.findall(state.spec.log_file.read_text(errors="replace"))
                if found:
                    return str(found[-1])
        return None


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
