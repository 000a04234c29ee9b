"""`pentameter status`: one screen for an operator.

Brokers and under-replicated partitions, consumer lag of the router and of the partner groups,
dead-letter depth, the last audit entry with the ledger's verification, and the agreements in
force. Everything is read live from the cluster (and the agreements from the repository).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import typer
from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from rich.console import Console
from rich.table import Table

from clikit.humane import iso, when
from clikit.output import JSON_OPTION
from consumers.deadletter import read_rejection
from consumers.ledger import verify_entries
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from consumers.topic_reader import read_topic
from infra.broker.probe import describe
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC

console = Console()
PARTNER_GROUP_PREFIX = "pentameter-partner-"


def _brokers(client: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The cluster's shape, probed with the client's own security settings (SASL on a secure one)."""
    security = {k: str(v) for k, v in client.items() if k != "bootstrap.servers"}
    info = describe(str(client["bootstrap.servers"]), timeout=timeout, extra=security)
    return {
        "cluster_id": info.cluster_id,
        "controller_id": info.controller_id,
        "brokers": [{"id": b.node_id, "address": b.address, "reachable": b.reachable} for b in info.brokers],
    }


def _under_replicated(admin: AdminClient, timeout: float) -> list[dict[str, Any]]:
    found = []
    for name, topic in sorted(admin.list_topics(timeout=timeout).topics.items()):
        for pid, part in sorted(topic.partitions.items()):
            if len(part.isrs) < len(part.replicas):
                found.append({"topic": name, "partition": pid, "replicas": part.replicas, "isr": part.isrs})
    return found


def _offsets(
    admin: AdminClient, partitions: Iterable[TopicPartition], spec: OffsetSpec, timeout: float
) -> dict[tuple[str, int], int]:
    request = {TopicPartition(p.topic, p.partition): spec for p in partitions}
    if not request:
        return {}
    futures = admin.list_offsets(
        request, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=timeout
    )
    return {(tp.topic, tp.partition): f.result(timeout).offset for tp, f in futures.items()}


def _committed(admin: AdminClient, group: str, timeout: float) -> dict[tuple[str, int], int]:
    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group]
    return {
        (tp.topic, tp.partition): tp.offset
        for tp in (future.result(timeout).topic_partitions or [])
        if tp.error is None
    }


def _group_lag(
    admin: AdminClient,
    group: str,
    topics: dict[str, Any],
    timeout: float,
    always: Iterable[str] = (),
    exists: bool = True,
) -> dict[str, Any]:
    """Lag of one group: end offsets minus committed offsets, over the partitions of every topic it
    committed (plus ``always``, e.g. the router's ingress topics, counted from their start when the
    group has not committed there yet).

    Committed offsets are asked for only when the cluster lists the group: librdkafka 2.16's admin
    offset fetch crashes the process when no group coordinator exists yet (a fresh cluster)."""
    committed = _committed(admin, group, timeout) if exists else {}
    names = {t for t, _ in committed} | set(always)
    partitions = [
        TopicPartition(name, pid)
        for name in sorted(names)
        if name in topics
        for pid in sorted(topics[name].partitions)
    ]
    latest: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]
    earliest: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
    ends = _offsets(admin, partitions, latest, timeout)
    starts = _offsets(admin, partitions, earliest, timeout)
    per_topic: dict[str, int] = {}
    for tp in partitions:
        where = (tp.topic, tp.partition)
        position = committed.get(where, -1)
        if position < 0:
            position = starts.get(where, 0)
        per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends.get(where, 0) - position)
    return {
        "group": group,
        "lag": sum(per_topic.values()),
        "committed_partitions": sum(1 for v in committed.values() if v >= 0),
        "by_topic": {t: n for t, n in sorted(per_topic.items()) if n},
    }


def _lag(runtime: Runtime, admin: AdminClient, timeout: float) -> list[dict[str, Any]]:
    topics = admin.list_topics(timeout=timeout).topics
    router_group = runtime.router_settings().group_id
    partner_prefix = runtime.topic(PARTNER_GROUP_PREFIX)
    listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    groups = sorted(
        g.group_id
        for g in listed.valid
        if g.group_id.startswith(partner_prefix) or g.group_id == router_group
    )
    router_listed = any(g.group_id == router_group for g in listed.valid)
    always = runtime.ingress_topics
    result = [_group_lag(admin, router_group, topics, timeout, always=always, exists=router_listed)]
    result += [_group_lag(admin, g, topics, timeout) for g in groups if g != router_group]
    return result


def _dead_letters(runtime: Runtime) -> dict[str, Any]:
    by_reason: dict[str, int] = {}
    depth = 0
    try:
        for record in read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)):
            depth += 1
            verdict = read_rejection(record.headers)
            reason = verdict[0].reason.value if verdict else "?"
            by_reason[reason] = by_reason.get(reason, 0) + 1
    except LookupError:
        return {"topic": runtime.topic(DEAD_LETTER_TOPIC), "exists": False, "depth": 0, "by_reason": {}}
    return {"topic": runtime.topic(DEAD_LETTER_TOPIC), "exists": True, "depth": depth, "by_reason": by_reason}


def _audit(runtime: Runtime, verify: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The last audit entry (latest record time across partitions) and the verification state."""
    try:
        records = list(read_topic(runtime.client, runtime.topic(AUDIT_TOPIC)))
    except LookupError:
        return None, {
            "verified": False,
            "ok": None,
            "entries": 0,
            "problems": ["no audit topic"],
            "missing": True,
        }
    last: dict[str, Any] | None = None
    if records:
        newest = max(records, key=lambda r: (r.timestamp_ms, r.partition, r.offset))
        try:
            entry = json.loads(newest.value or b"{}")
        except ValueError:
            entry = {}
        last = {
            "chain": entry.get("chain"),
            "seq": entry.get("seq"),
            "kind": entry.get("kind"),
            "at": iso(entry.get("at") or newest.timestamp_ms),
            "partition": newest.partition,
            "offset": newest.offset,
        }
    if not verify:
        return last, {"verified": False, "ok": None, "entries": len(records), "problems": []}
    trusted = runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get
    report = verify_entries(((r.offset, r.value or b"") for r in records), trusted)
    return last, {
        "verified": True,
        "ok": report.ok,
        "entries": report.entries,
        "chains": report.chains,
        "seals": report.seals,
        "problems": [str(p) for p in report.problems[:20]],
        "problem_count": len(report.problems),
    }


def _agreements(runtime: Runtime) -> list[dict[str, Any]]:
    today = runtime.engine.today
    return [
        {
            "partner": a.partner,
            "agreement": a.id,
            "version": a.version,
            "valid_from": a.valid_from.isoformat(),
            "valid_to": a.valid_to.isoformat(),
        }
        for a in sorted(runtime.engine.agreements, key=lambda a: (a.partner, a.id, a.version))
        if a.valid_from <= today <= a.valid_to
    ]


def status(
    as_json: bool = JSON_OPTION,
    verify: bool = typer.Option(
        True, "--verify/--no-verify", help="Verify the whole audit ledger (skip for big ledgers)."
    ),
    timeout: float = typer.Option(5.0, help="Seconds to wait for each Admin API answer."),
) -> None:
    """One screen for an operator: brokers and under-replicated partitions, consumer lag of the
    router and partner groups, dead-letter depth by reason, the last audit entry and whether the
    ledger verifies, and the agreement versions in force. Exits 1 when no broker answers."""
    runtime = build_runtime()
    bootstrap = str(runtime.client["bootstrap.servers"])
    try:
        cluster = _brokers(runtime.client, timeout)
    except Exception as exc:  # any failure to reach the cluster
        if as_json:
            typer.echo(json.dumps({"bootstrap": bootstrap, "up": False, "error": str(exc)}))
        else:
            console.print(f"[red]no broker answers at {bootstrap}[/] ({exc})")
        raise typer.Exit(code=1) from exc
    admin = AdminClient(runtime.client)
    last, ledger = _audit(runtime, verify)
    report: dict[str, Any] = {
        "bootstrap": bootstrap,
        "up": True,
        "topic_prefix": runtime.settings.topic_prefix,
        **cluster,
        "under_replicated": _under_replicated(admin, timeout),
        "lag": _lag(runtime, admin, timeout),
        "dead_letters": _dead_letters(runtime),
        "last_audit_entry": last,
        "ledger": ledger,
        "agreements": _agreements(runtime),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    brokers = Table("broker", "address", "reachable", title=f"cluster {report['cluster_id']}")
    for b in report["brokers"]:
        mark = "[green]yes[/]" if b["reachable"] else "[red]no[/]"
        controller = " (controller)" if b["id"] == report["controller_id"] else ""
        brokers.add_row(f"{b['id']}{controller}", b["address"], mark)
    console.print(brokers)
    under = report["under_replicated"]
    if under:
        table = Table("topic", "partition", "replicas", "isr", title="[red]under-replicated partitions[/]")
        for u in under:
            table.add_row(u["topic"], str(u["partition"]), str(u["replicas"]), str(u["isr"]))
        console.print(table)
    else:
        console.print("[green]no under-replicated partitions[/]")
    lag = Table("consumer group", "lag", "topics behind", title="consumer lag")
    for g in report["lag"]:
        behind = ", ".join(f"{t}: {n}" for t, n in g["by_topic"].items()) or "-"
        lag.add_row(g["group"], str(g["lag"]), behind)
    console.print(lag)
    dead = report["dead_letters"]
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(dead["by_reason"].items()))
    console.print(f"dead letters on {dead['topic']}: {dead['depth']}" + (f" ({reasons})" if reasons else ""))
    last = report["last_audit_entry"]
    if last:
        console.print(
            f"last audit entry: chain {last['chain']} seq {last['seq']} {last['kind']}, {when(last['at'])}"
        )
    else:
        console.print("last audit entry: none")
    ledger = report["ledger"]
    if ledger.get("missing"):
        console.print("ledger: [yellow]no audit topic yet[/]")
    elif not ledger["verified"]:
        console.print(f"ledger: not verified (--no-verify), {ledger['entries']} entries")
    elif ledger["ok"]:
        console.print(
            f"ledger: [green]verified[/], {ledger['entries']} entries in {ledger['chains']} chains, "
            f"{ledger['seals']} seals"
        )
    else:
        console.print(f"ledger: [red]NOT verified[/], {ledger.get('problem_count', 0)} problem(s)")
        for problem in ledger["problems"]:
            console.print(f"  [red]✗[/] {problem}")
    agreements = Table(
        "partner", "agreement", "version", "valid from", "valid to", title="agreements in force"
    )
    for a in report["agreements"]:
        agreements.add_row(a["partner"], a["agreement"], str(a["version"]), a["valid_from"], a["valid_to"])
    console.print(agreements)
