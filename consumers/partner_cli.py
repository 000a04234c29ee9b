"""`pentameter partner ...`: the partner's side, through the partner SDK and its kit only.

``partner kit`` is the operator's step: it writes what one partner's machine holds
(:mod:`consumers.partner_kit`). ``partner consume`` reads a partner's topic with nothing but a kit
(:class:`consumers.partner_client.PartnerClient`): no agreement, router key or pseudonym secret is
opened. Without ``--kit`` it uses this deployment's kit for the partner, writing it first (the
operator and the partner share one machine in a local deployment).
"""

from __future__ import annotations

import base64
import json
import signal
import sys
import threading
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import typer
from rich.console import Console

from clikit.output import JSON_OPTION, print_json
from consumers.exceptions import KitError, ReadFailed
from consumers.metrics import PartnerMetrics
from consumers.partner import START_BEGINNING, START_STORED, PartnerRecord, Start
from consumers.partner_client import PartnerClient
from consumers.partner_kit import PartnerKit, default_kit_dir, deployment_kit
from consumers.partner_state import JsonLinesSink, SeenEvents
from infra.connection import bootstrap_servers, client_config, principal_config
from infra.credentials import CredentialError
from infra.keys import KeyRevoked
from infra.settings import Settings, load_settings

partner_app = typer.Typer(
    help="The partner side: read your topic, verify provenance, decrypt your fields, see review dates.",
    no_args_is_help=True,
)
console = Console(stderr=True)
KIT_VARIABLE = "PENTAMETER_PARTNER_KIT"


def make_kit(settings: Settings, partner: str, directory: Path, client: dict[str, Any]) -> PartnerKit:
    """Write ``partner``'s kit from this deployment; exit 2 when it cannot."""
    try:
        return deployment_kit(settings, partner, directory, client)
    except KitError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    except KeyRevoked as exc:
        console.print(f"[red]partner {partner!r} was revoked[/]: its credentials and keys no longer exist")
        raise typer.Exit(code=2) from exc


@partner_app.command("kit")
def kit(
    partner: str = typer.Option(..., "--partner", "-p", help="Partner id from the registry, e.g. ngo.poppy."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Directory to write (default: $PENTAMETER_HOME/partners/<partner>/kit)."
    ),
    tls: bool = typer.Option(
        False, "--tls", help="Mutual TLS settings instead of SCRAM (secure cluster; see `creds show --tls`)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write what PARTNER's machine needs to read its records, and nothing else: its connection
    settings as its own principal, its decryption keys, the router's public keys, its topic and
    governance topic. Hand the directory to the partner; `partner consume --kit DIR` reads with it.

    On a deployment that authenticates (PENTAMETER_PRINCIPAL set, or --tls) the settings are the
    partner principal's, password or certificate included; otherwise only the bootstrap address.
    """
    settings = load_settings()
    try:
        client = (
            principal_config(f"partner-{partner}", settings, tls=tls)
            if settings.principal or tls
            else {"bootstrap.servers": bootstrap_servers(settings)}
        )
    except CredentialError as exc:
        console.print(f"[red]error:[/] {exc}; has `pentameter broker up --secure` run?")
        raise typer.Exit(code=2) from exc
    directory = out or default_kit_dir(settings, partner)
    made = make_kit(settings, partner, directory, client)
    if as_json:
        print_json(
            {
                "partner": made.partner,
                "directory": str(directory),
                "topic": made.topic,
                "governance_topic": made.governance_topic,
                "group": made.group,
            }
        )
        return
    console.print(
        f"wrote the kit of {made.partner} to {directory}: {made.topic}, schemas from "
        f"{made.governance_topic}, group {made.group}; keep it as private as its keys"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return {"base64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


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
    partner: str | None = typer.Option(
        None, "--partner", "-p", help="Partner id from the registry, e.g. ngo.poppy (or the kit's)."
    ),
    kit_dir: Path | None = typer.Option(
        None,
        "--kit",
        envvar=KIT_VARIABLE,
        help="The partner's kit (`partner kit`); default: this deployment's kit for --partner, "
        "written first when missing.",
    ),
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
        "(default: <kit>/<group>.seen).",
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
    stop = threading.Event()  # first: a SIGTERM while starting (schemas, keys, group join) stops cleanly
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    kit = _open_kit(partner, kit_dir)
    partner = kit.partner
    if group is None:
        group = f"{kit.group}-{uuid.uuid4().hex[:8]}" if from_beginning else kit.group
    start: Start = START_BEGINNING if from_beginning else START_STORED if from_offset is None else from_offset
    sink = JsonLinesSink(out) if out else None
    if sink:
        seen = sink.handled()  # the file says what was handled
    elif start == START_STORED:
        seen = SeenEvents.journal(state or kit.directory / f"{group}.seen")
    else:
        seen = SeenEvents()  # asked to read again: only repeats within this run are dropped
    try:
        client = PartnerClient(kit)
    except (ReadFailed, LookupError) as exc:  # refused, or no such topic yet
        console.print(f"[red]error:[/] cannot read {kit.governance_topic}: {exc}")
        raise typer.Exit(code=1) from exc
    consumer = client.consumer(
        group=group, start=start, seen=seen, before_commit=sink.sync if sink else sys.stdout.flush
    )
    metrics = PartnerMetrics(partner)
    if metrics_port:
        metrics.serve(metrics_port)
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
    except ReadFailed as exc:  # the broker refused: another partner's topic or group, a revoked user
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


def _open_kit(partner: str | None, kit_dir: Path | None) -> PartnerKit:
    """The kit named, or this deployment's kit for ``partner`` (written now: see the module doc)."""
    if kit_dir is not None:
        try:
            kit = PartnerKit.load(kit_dir)
        except KitError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(code=2) from exc
        if partner is not None and partner != kit.partner:
            console.print(f"[red]the kit at {kit_dir} is {kit.partner}'s, not {partner}'s[/]")
            raise typer.Exit(code=2)
        return kit
    if partner is None:
        console.print(f"[red]name the partner (--partner) or its kit (--kit, {KIT_VARIABLE})[/]")
        raise typer.Exit(code=2)
    settings = load_settings()
    try:
        client = client_config(settings)  # as this shell is configured (PENTAMETER_PRINCIPAL)
    except CredentialError as exc:  # PENTAMETER_PRINCIPAL names no (or a revoked) principal
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    return make_kit(settings, partner, default_kit_dir(settings, partner), client)
