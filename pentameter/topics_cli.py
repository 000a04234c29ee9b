"""`pentameter topics ...`: the deployment's topics as code (plan, apply, describe).

The desired state comes from the partner registry and the agreements (see ``infra/topic_plan.py``);
the deployment is the environment's (``KAFKA_BOOTSTRAP_SERVERS``, ``PENTAMETER_TOPIC_PREFIX``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.table import Table

from clikit.exits import ATTENTION
from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from consumers.runtime import Runtime, build_runtime
from infra.topic_plan import (
    NAMESPACE,
    Action,
    Change,
    ClusterInfo,
    Plan,
    TopicState,
    actual_state,
    apply_plan,
    cluster_info,
    desired_state,
    diff,
    partner_retention_ms,
)

EXIT_CHANGES_PENDING = ATTENTION
"""`topics plan` exit status when the cluster differs from the declared topics (0: no change), as
`git diff --exit-code`; 2 is kept for errors, as in every command."""


def desired_from_runtime(runtime: Runtime, info: ClusterInfo) -> dict[str, TopicState]:
    """The desired state of a deployment (see the module doc)."""
    roles = {topic: "ingress" for topic in runtime.ingress_topics}
    roles.update({topic: "partner" for topic in runtime.partner_topics.values()})
    by_partner = partner_retention_ms(runtime.engine.agreements)
    topics = runtime.partner_topics
    retention = {topic: by_partner[partner] for partner, topic in topics.items() if partner in by_partner}
    return desired_state(
        runtime.topic_specs(), roles, retention, info.default_replication_factor, info.brokers
    )


topics_app = command_group(
    help=(
        "The deployment's Kafka topics as code: every ingress, partner and shared topic with its "
        "partitions, replication factor and managed configs (retention.ms, retention.bytes, "
        "cleanup.policy, min.insync.replicas), compared with the cluster and brought in line."
    ),
)
console = Console(highlight=False)

_STYLE = {
    Action.CREATE: "green",
    Action.ALTER_CONFIG: "yellow",
    Action.ADD_PARTITIONS: "yellow",
    Action.DELETE: "red",
    Action.MANUAL: "magenta",
}


@dataclass
class _Context:
    admin: AdminClient
    namespace: str
    desired: dict[str, TopicState]
    actual: dict[str, TopicState]

    def plan(self, prune: bool) -> Plan:
        return diff(self.desired, self.actual, self.namespace if prune else None)


def _context() -> _Context:

    runtime = build_runtime()
    admin = AdminClient(runtime.client)
    desired = desired_from_runtime(runtime, cluster_info(admin))
    namespace = runtime.topic(NAMESPACE)
    return _Context(admin, namespace, desired, actual_state(admin, desired, namespace))


def _print_change(change: Change) -> None:
    mark = " [bold red](destructive)[/]" if change.destructive else ""
    console.print(f"[{_STYLE[change.action]}]{change.describe()}[/]{mark}")


def _print_plan(plan: Plan) -> None:
    if plan.empty:
        console.print("[green]no change[/]: the cluster matches the declared topics")
        return
    for change in plan.changes:
        _print_change(change)
    console.print(
        f"{len(plan.changes)} change(s), {len(plan.destructive)} destructive, "
        f"{len(plan.manual)} to do by hand"
    )


@topics_app.command()
def plan(
    prune: bool = typer.Option(
        False, "--prune", help="Also list deletion of undeclared topics under <prefix>pentameter."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what `topics apply` would change: topics to create (+), configs and partitions to alter
    (~), topics to delete with --prune (-) and what needs doing by hand (!); destructive changes
    (deleting a topic, shortening a retention) are marked.

    Exit status: 0 when the cluster matches the declared topics, 1 when changes are pending (as
    `git diff --exit-code`), so scripts and CI can detect drift.
    """
    result = _context().plan(prune)
    if as_json:
        print_json([c.to_json() for c in result.changes])
    else:
        _print_plan(result)
    if not result.empty:
        raise typer.Exit(code=EXIT_CHANGES_PENDING)


@topics_app.command()
def apply(
    confirm: bool = typer.Option(
        False, "--confirm", help="Allow destructive changes (topic deletion, shorter retention)."
    ),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Delete topics under <prefix>pentameter. that nothing declares (needs --confirm).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Bring the cluster in line with the declared topics: create missing topics, add partitions,
    set the managed configs and, with --prune, delete undeclared topics of this deployment.

    Changes that lose data (deleting a topic, shortening retention) are refused unless --confirm is
    given; nothing is applied then and the command exits 1 naming them. Changes Kafka cannot make
    in place (fewer partitions, another replication factor) are reported and leave exit status 1.
    """
    context = _context()
    result = context.plan(prune)
    refused = bool(result.destructive) and not confirm
    if as_json:
        done = (
            None
            if result.empty or refused
            else apply_plan(context.admin, result, context.desired, allow_destructive=confirm)
        )
        print_json(
            {
                "refused": [c.to_json() for c in result.destructive] if refused else [],
                "applied": [c.to_json() for c in done.applied] if done else [],
                "left_to_do_by_hand": [c.to_json() for c in done.skipped] if done else [],
            }
        )
        if refused or (done and done.skipped):
            raise typer.Exit(code=ATTENTION)
        return
    if result.empty:
        console.print("[green]no change[/]: the cluster matches the declared topics")
        return
    if refused:
        console.print("[red]refused[/]: these changes lose data; run again with --confirm to apply them:")
        for change in result.destructive:
            _print_change(change)
        raise typer.Exit(code=ATTENTION)
    done = apply_plan(context.admin, result, context.desired, allow_destructive=confirm)
    for change in done.applied:
        console.print(f"[green]✓[/] {change.describe()}")
    for change in done.skipped:
        console.print(f"[magenta]✗ not applied[/] {change.describe()}")
    console.print(f"{len(done.applied)} change(s) applied, {len(done.skipped)} left to do by hand")
    if done.skipped:
        raise typer.Exit(code=ATTENTION)


def _row(want: TopicState, have: TopicState | None) -> dict[str, Any]:
    changes = diff({want.name: want}, {want.name: have} if have else {}).changes
    return {
        "topic": want.name,
        "role": want.role,
        "exists": have is not None,
        "partitions": have.partitions if have else None,
        "replication_factor": have.replication_factor if have else None,
        "config": dict(have.config) if have else {},
        "desired": want.to_json(),
        "matches": not changes,
        "differences": [c.describe() for c in changes],
    }


@topics_app.command()
def describe(as_json: bool = JSON_OPTION) -> None:
    """List every declared topic with its partitions, replication factor and managed configs as
    the cluster has them, and whether it matches the declaration (differences are listed)."""
    context = _context()
    rows = [_row(want, context.actual.get(name)) for name, want in sorted(context.desired.items())]
    if as_json:
        print_json(rows)
        return
    table = Table("topic", "role", "partitions", "RF", "configs", "matches")
    for row in rows:
        configs = "\n".join(f"{k}={v}" for k, v in sorted(row["config"].items())) or "-"
        status = "[green]yes[/]" if row["matches"] else "[red]no[/]\n" + "\n".join(row["differences"])
        table.add_row(
            row["topic"],
            row["role"],
            str(row["partitions"] if row["exists"] else "missing"),
            str(row["replication_factor"] if row["exists"] else "-"),
            configs,
            status,
        )
    console.print(table)
    matching = sum(r["matches"] for r in rows)
    console.print(f"{matching} of {len(rows)} declared topic(s) match")
