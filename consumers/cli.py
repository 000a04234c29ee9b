"""`pentameter router ...` and `pentameter partner ...`: run the router, consume as a partner."""

from __future__ import annotations

import base64
import dataclasses
import json
import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console

from clikit.group import command_group
from clikit.output import print_json
from consumers.governance_io import publish_catalogue
from consumers.metrics import METRICS_BIND_VARIABLE, PartnerMetrics, RouterMetrics, configure_logging
from consumers.partner import (
    START_BEGINNING,
    START_STORED,
    PartnerConsumer,
    PartnerReader,
    PartnerRecord,
    Start,
    partner_group,
)
from consumers.partner_state import JsonLinesSink, SeenEvents
from consumers.router import RouterStats
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from infra.credentials import CredentialError
from infra.topics import GOVERNANCE_TOPIC, ensure_topics
from policies.crypto import X25519FieldEncryptor
from schemas.entry import SchemaEntry

router_app = command_group(
    help="The policy-enforcing router: agency ingress topics in, each partner's projection out, "
    "exactly once.",
)
partner_app = typer.Typer(
    help="The partner side: read your topic, verify provenance, decrypt your fields, see review dates.",
    no_args_is_help=True,
)
console = Console(stderr=True)


def prepare(runtime: Runtime) -> int:
    """Create missing topics and publish the catalogue (events and projections) for partners."""
    created = ensure_topics(AdminClient(runtime.client), runtime.topic_specs())
    publish_catalogue(runtime.client, runtime.catalogue, runtime.topic(GOVERNANCE_TOPIC))
    return len(created)


@router_app.command("run")
def run(
    worker: int = typer.Option(
        0, help="Worker slot; its transactional id is stable, so a restart fences the old one."
    ),
    batch: int = typer.Option(2000, help="Commit after at most this many events..."),
    batch_ms: int = typer.Option(100, help="...or after this many milliseconds."),
    idle_exit: float = typer.Option(
        0.0, help="Stop after this many seconds without an ingress record (0: never; run until Ctrl-C)."
    ),
    max_events: int = typer.Option(0, help="Stop after this many events (0: no limit)."),
    stall_exit: float = typer.Option(
        180.0,
        help="Exit (status 1, stacks on stderr) when one batch's transaction is stuck this many seconds "
        "(its offsets step: 45 s at most), so a supervisor restarts the worker; the batch was not "
        "committed, so nothing is lost (0: never).",
    ),
    recent_events: int = typer.Option(
        10_000,
        help="Routed event ids remembered per ingress partition: a later copy of one is dead-lettered "
        "as duplicate_event instead of delivered again (0: off).",
    ),
    metrics_port: int = typer.Option(
        0,
        envvar="PENTAMETER_METRICS_PORT",
        help="Serve Prometheus metrics on BIND:PORT/metrics (0: off).",
    ),
    metrics_bind: str = typer.Option(
        "127.0.0.1",
        envvar=METRICS_BIND_VARIABLE,
        help="Address the metrics server listens on (0.0.0.0: every interface).",
    ),
    log_json: bool = typer.Option(
        False,
        "--log-json",
        envvar="PENTAMETER_LOG_JSON",
        help="Log one JSON object per line (event ids, never values).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="When it stops, print its totals as one JSON document on stdout."
    ),
) -> None:
    """Route events from every agency ingress topic to the partner topics, with an audit entry each.

    Run more workers with different --worker slots to spread the ingress partitions; rebalances
    lose and duplicate nothing. Invalid input goes to the dead-letter topic with its reason.
    """
    configure_logging(log_json)
    runtime = build_runtime()
    metrics = RouterMetrics()
    if metrics_port:
        metrics.serve(metrics_port, metrics_bind)
    created = prepare(runtime)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    router = runtime.router(
        runtime.router_settings(
            worker=worker,
            batch_max_events=batch,
            batch_max_ms=batch_ms,
            stall_exit_seconds=stall_exit or None,
            recent_events=recent_events,
        )
    )
    console.print(
        f"router worker {worker}: {len(runtime.ingress_topics)} ingress topics, "
        f"{len(runtime.partner_topics)} partners, {created} topic(s) created"
    )
    stats = router.run(stop, max_events=max_events or None, idle_timeout=idle_exit or None)
    if as_json:
        print_json(dataclasses.asdict(stats))
    else:
        _print_stats(stats)


def _print_stats(stats: RouterStats) -> None:
    console.print(
        f"consumed {stats.consumed}, delivered {stats.delivered} partner records, "
        f"{stats.dead_letters} dead letters, {stats.transactions} transactions, {stats.aborts} aborts"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return {"base64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def encrypted_paths(entry: SchemaEntry) -> tuple[str, ...]:
    """Paths of a projection whose values are ciphertext for the partner (bytes fields marked so)."""
    return tuple(f.path for f in entry.leaf_fields if f.avro_type.startswith("bytes"))


def partner_reader(runtime: Runtime, partner: str) -> PartnerReader:
    """A reader holding ``partner``'s private keys from the key store, trusting the router's keys."""
    keys = runtime.keys
    encryptor = X25519FieldEncryptor(private_key_for=lambda key_id: keys.partner_private_key(partner, key_id))

    def opener(event_id: str, path: str, ciphertext: bytes) -> bytes:
        return encryptor.decrypt(partner, event_id, path, ciphertext)

    return PartnerReader(
        partner,
        runtime.catalogue,
        keys.signing_key_lookup([ROUTER_IDENTITY]),  # re-read on a miss: the router key may be new
        opener,
        encrypted_paths,
    )


def record_json(record: PartnerRecord) -> dict[str, Any]:
    """The JSON Lines form of one partner record."""
    return {
        "event_id": record.event_id,
        "schema": record.schema,
        "review_date": record.review_date.isoformat() if record.review_date else None,
        "delete_on": record.delete_on.isoformat() if record.delete_on else None,
        "provenance": record.provenance_key,
        "offset": f"{record.topic}/{record.partition}@{record.offset}",
        "decrypted": list(record.opened),
        "not_decrypted": record.unopened,
        "record": record.record,
    }


@partner_app.command("consume")
def consume(
    partner: str = typer.Option(..., "--partner", "-p", help="Partner id from the registry, e.g. ngo.poppy."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Append JSON Lines here instead of stdout; the file is also the record of what was handled, "
        "so a restarted consumer writes each event once.",
    ),
    group: str | None = typer.Option(
        None, help="Consumer group (default: the partner's own, continuing where it last stopped)."
    ),
    from_beginning: bool = typer.Option(
        False,
        "--from-beginning",
        help="Read the topic from its beginning (without --group: in a fresh group).",
    ),
    from_offset: int | None = typer.Option(
        None, "--from-offset", min=0, help="Start every partition at this offset (like kcat -o N)."
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep reading new records until stopped."),
    count: int | None = typer.Option(
        None, "--count", "-c", min=1, help="Stop after N records (like kcat -c)."
    ),
    idle_exit: float = typer.Option(
        5.0, help="Stop after this many seconds without a record (0: keep reading, as --follow)."
    ),
    state: Path | None = typer.Option(
        None,
        help="Where to keep the ids of events already handled when writing to stdout "
        "(default: $PENTAMETER_HOME/partners/<group>.seen).",
    ),
    metrics_port: int = typer.Option(
        0,
        envvar="PENTAMETER_METRICS_PORT",
        help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics (0: off).",
    ),
) -> None:
    """Read a partner's topic as JSON Lines: provenance checked, fields decrypted, review dates shown.

    Each line has the record, its review/delete date, which fields were decrypted, and the router
    key that proved its origin. Records that fail provenance are reported on stderr, not written.
    A record's offset is committed only after its line was written; an event handled before (a
    restart after a kill) is not written again; a record past its review date is not written.
    """
    if from_beginning and from_offset is not None:
        console.print("[red]--from-beginning and --from-offset cannot be used together[/]")
        raise typer.Exit(code=2)
    try:
        runtime = build_runtime()
    except CredentialError as exc:  # PENTAMETER_PRINCIPAL names no (or a revoked) principal
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    topic = runtime.partner_topics.get(partner)
    if topic is None:
        console.print(
            f"[red]unknown partner {partner!r}[/]; known: {', '.join(runtime.engine.registry.partner_ids())}"
        )
        raise typer.Exit(code=2)
    if partner in runtime.revoked:
        console.print(f"[red]partner {partner!r} was revoked[/]: its credentials and keys no longer exist")
        raise typer.Exit(code=2)
    if group is None and not from_beginning:
        group = partner_group(partner, runtime.settings.topic_prefix)
    start: Start = START_BEGINNING if from_beginning else START_STORED if from_offset is None else from_offset
    sink = JsonLinesSink(out) if out else None
    if sink:
        seen = sink.handled()  # the file says what was handled
    elif start == START_STORED:
        seen = SeenEvents.journal(state or _state_path(runtime, group, partner))
    else:
        seen = SeenEvents()  # asked to read again: only repeats within this run are dropped
    consumer = PartnerConsumer(
        runtime.client,
        topic,
        partner_reader(runtime, partner),
        group_id=group,
        topic_prefix=runtime.settings.topic_prefix,
        start=start,
        seen=seen,
        before_commit=sink.sync if sink else sys.stdout.flush,
    )
    metrics = PartnerMetrics(partner)
    if metrics_port:
        metrics.serve(metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    written = rejected = 0
    keep_reading = follow or idle_exit == 0
    try:
        for item in consumer.records(
            idle_timeout=None if keep_reading else idle_exit, limit=count, stop=stop
        ):
            if stop.is_set():
                break  # this one is not handled, so not acknowledged: the next run reads it
            if isinstance(item, PartnerRecord):
                line = record_json(item)
                if sink:
                    sink.write(line, default=_json_default)
                else:
                    sys.stdout.write(json.dumps(line, default=_json_default) + "\n")
                written += 1
                metrics.records.labels(partner).inc()
                metrics.opened.labels(partner).inc(len(item.opened))
            else:
                console.print(f"[red]rejected[/] {item.topic}/{item.partition}@{item.offset}: {item.reason}")
                rejected += 1
                metrics.refused.labels(partner).inc()
    except RuntimeError as exc:  # the broker refused: another partner's topic or group, a revoked user
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    finally:
        consumer.close()
        if sink:
            sink.close()
    stats = consumer.stats
    console.print(
        f"{written} record(s) for {partner}, {rejected} rejected, {stats.duplicates} already handled, "
        f"{stats.expired} past their review date"
    )


def _state_path(runtime: Runtime, group: str | None, partner: str) -> Path:
    """The partner's own record of the events it handled, kept with the consumer group's name."""
    name = group or partner_group(partner, runtime.settings.topic_prefix)
    return runtime.settings.home / "partners" / f"{name}.seen"
