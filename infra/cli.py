"""`pentameter broker ...`: bring the local Apache Kafka cluster up, down, and look at it."""

from __future__ import annotations

import json
import subprocess

import typer
from rich.console import Console
from rich.table import Table

from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from infra.broker.errors import BrokerError
from infra.broker.jars import KAFKA_VERSION
from infra.broker.local import LocalCluster, log_tail
from infra.broker.probe import describe
from infra.connection import bootstrap_servers
from infra.credentials import CredentialError
from infra.security import OPERATOR_PRINCIPAL
from infra.settings import load_settings

broker_app = command_group(
    help=(
        "Run Apache Kafka locally in KRaft mode (jars from Maven Central, the machine's Java). "
        "Set KAFKA_BOOTSTRAP_SERVERS to use an existing cluster instead; `status` then reads it."
    ),
)
console = Console(stderr=True)

_SECURE_HELP = (
    "The secure cluster (SASL SCRAM-SHA-512 or mutual TLS, ACLs, deny by default) on "
    "PENTAMETER_SECURE_BROKER_PORT (default 9192), state in $PENTAMETER_HOME/broker-secure; it runs "
    "beside the plain one."
)


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


@broker_app.command()
def up(
    nodes: int = typer.Option(
        1, "--nodes", help="1 for development, 3 for a fault-tolerant quorum (RF 3, min ISR 2)."
    ),
    timeout: float = typer.Option(90.0, help="Seconds to wait for every broker to answer."),
    secure: bool = typer.Option(False, "--secure", help=_SECURE_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start the local cluster; does nothing if it already runs with the same shape.

    The first run fetches Apache Kafka jars with Maven into $PENTAMETER_HOME/kafka (git-ignored)
    and formats KRaft storage; later runs reuse both. With --secure, clients must authenticate
    (`pentameter creds show PRINCIPAL`, or `--tls` for a client certificate) and need ACLs
    (`pentameter acls apply`); each node has a SASL_PLAINTEXT listener on loopback (authenticated,
    not encrypted) and an SSL listener requiring a client certificate from the cluster's own CA.
    """
    if nodes not in (1, 3):
        raise typer.BadParameter("must be 1 or 3", param_hint="--nodes")
    cluster = LocalCluster(load_settings(), secure=secure)
    try:
        info = cluster.up(nodes, progress=lambda m: console.print(f"[dim]{m}[/]"), timeout=timeout)
    except BrokerError as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(
            {
                "kafka_version": cluster.running_version() or KAFKA_VERSION,
                "cluster_id": info.cluster_id,
                "brokers": len(info.brokers),
                "bootstrap": cluster.bootstrap_servers(),
                "tls_bootstrap": cluster.tls_bootstrap_servers() if secure else None,
            }
        )
        return
    console.print(
        f"[green]Kafka {cluster.running_version() or KAFKA_VERSION} up[/]: {len(info.brokers)} broker(s), "
        f"cluster {info.cluster_id}, bootstrap {cluster.bootstrap_servers()}"
    )
    if secure:
        tls = cluster.tls_bootstrap_servers()
        console.print(f"mutual TLS: {tls} (client settings: `pentameter creds show PRINCIPAL --tls`)")


@broker_app.command()
def down(
    wipe: bool = typer.Option(False, "--wipe", help="Also delete the cluster's data and configs."),
    secure: bool = typer.Option(False, "--secure", help=_SECURE_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop the local nodes this tool started (found by pid file); other Kafkas are left alone."""
    cluster = LocalCluster(load_settings(), secure=secure)
    stopped = cluster.down(progress=lambda m: console.print(f"[dim]{m}[/]"), wipe=wipe)
    if as_json:
        print_json({"stopped": stopped, "wiped": wipe})
        return
    console.print(f"stopped {stopped} node(s)" if stopped else "no local node was running")


@broker_app.command()
def status(
    as_json: bool = JSON_OPTION,
    timeout: float = typer.Option(5.0, help="Seconds to wait for the cluster to answer."),
    secure: bool = typer.Option(False, "--secure", help=_SECURE_HELP + " Read as the operator."),
) -> None:
    """Read the live cluster through the Admin API: cluster id, brokers, reachability, version.

    Exits 1 when no broker answers.
    """
    settings = load_settings()
    cluster = LocalCluster(settings, secure=secure)
    extra: dict[str, str] | None = None
    if secure:
        try:
            extra = cluster.client_config_for(OPERATOR_PRINCIPAL)
        except CredentialError as exc:
            raise _fail(exc) from exc
        bootstrap = settings.bootstrap_servers or extra["bootstrap.servers"]
        extra.pop("bootstrap.servers")
    else:
        bootstrap = bootstrap_servers(settings)
    try:
        info = describe(bootstrap, timeout=timeout, extra=extra)
    except Exception as exc:
        if as_json:
            typer.echo(json.dumps({"bootstrap": bootstrap, "up": False, "error": str(exc)}))
        else:
            console.print(f"[red]no broker answers at {bootstrap}[/] ({exc}); try `pentameter broker up`")
        raise typer.Exit(code=1) from exc
    version = None if settings.bootstrap_servers else cluster.running_version()
    report = {
        "bootstrap": bootstrap,
        "up": True,
        "cluster_id": info.cluster_id,
        "controller_id": info.controller_id,
        "broker_count": len(info.brokers),
        "brokers": [{"id": b.node_id, "address": b.address, "reachable": b.reachable} for b in info.brokers],
        "kafka_version": version or "unknown (not started by this tool)",
        "managed_locally": not settings.bootstrap_servers,
    }
    if secure and not settings.bootstrap_servers:
        report["tls_bootstrap"] = cluster.tls_bootstrap_servers()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"Kafka cluster {info.cluster_id} ({report['kafka_version']})")
    table.add_column("broker")
    table.add_column("address")
    table.add_column("reachable")
    table.add_column("role")
    for b in info.brokers:
        role = "controller (active)" if b.node_id == info.controller_id else "broker, voter"
        table.add_row(str(b.node_id), b.address, "yes" if b.reachable else "[red]no[/]", role)
    Console().print(table)
    Console().print(f"{len(info.brokers)} broker(s) at {bootstrap}")
    if "tls_bootstrap" in report:
        Console().print(f"mutual TLS at {report['tls_bootstrap']}")


@broker_app.command()
def logs(
    node: int = typer.Option(1, "--node", help="Which node's log to show."),
    lines: int = typer.Option(50, "--lines", "-n", help="How many lines from the end."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines (Ctrl-C stops)."),
    secure: bool = typer.Option(False, "--secure", help=_SECURE_HELP),
) -> None:
    """Show the server log of a local node."""
    cluster = LocalCluster(load_settings(), secure=secure)
    specs = [s.spec for s in cluster.nodes() if s.spec.node_id == node]
    if not specs:
        raise _fail(BrokerError(f"no local node {node}; has `pentameter broker up` run?"))
    path = specs[0].log_file
    if follow:
        subprocess.run(["tail", "-n", str(lines), "-F", str(path)], check=False)
    else:
        typer.echo(log_tail(path, lines))
