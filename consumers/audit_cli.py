"""`pentameter audit ...`: verify the ledger end to end, and trace where one event went and why."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from clikit.group import command_group
from consumers.ledger import verify_entries
from consumers.topic_reader import read_topic
from infra.connection import client_config
from infra.keys import KeyStore
from infra.settings import load_settings
from infra.topics import AUDIT_TOPIC

ROUTER_IDENTITY = "router"
audit_app = command_group(
    help=(
        "The audit ledger: every delivery to a partner and every denial, with the agreement version, "
        "hash-chained per ingress partition and sealed with the router's signature."
    ),
)
console = Console()


@audit_app.command()
def verify(
    topic: str = typer.Option("", help="Audit topic to check (default: the deployment's audit topic)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check the whole ledger: hashes, links, sequence numbers and seal signatures.

    Detects any altered, removed, inserted or reordered entry and any unsealed tail. Exits 1 when
    a problem is found (or the ledger is empty), naming the chain, the sequence number and the
    offset of each problem.
    """
    settings = load_settings()
    keys = KeyStore(settings.home / "keys").trusted_signing_keys([ROUTER_IDENTITY])
    records = read_topic(client_config(), topic or settings.topic_prefix + AUDIT_TOPIC)
    report = verify_entries(((r.offset, r.value or b"") for r in records), keys.get)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "chains": report.chains,
                    "seals": report.seals,
                    "problems": [str(p) for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        for problem in report.problems:
            console.print(f"[red]✗[/] {problem}")
        status = "[green]ledger verified[/]" if report.ok else "[red]ledger NOT verified[/]"
        console.print(
            f"{status}: {report.entries} entries in {report.chains} chains, {report.seals} seals, "
            f"{len(report.problems)} problem(s)"
        )
    if not report.ok:
        raise typer.Exit(code=1)


def find_entries(event_id: str, topic: str = "") -> list[dict[str, Any]]:
    """Every ledger entry about ``event_id`` (usually one; more after a replay)."""
    topic = topic or load_settings().topic_prefix + AUDIT_TOPIC
    needle = event_id.encode()
    found = []
    for record in read_topic(client_config(), topic):
        if record.value and needle in record.value:
            entry = json.loads(record.value)
            if entry.get("event_id") == event_id:
                found.append(entry)
    return found


@audit_app.command()
def trace(
    event_id: str = typer.Argument(..., help="The event id (envelope.event_id) to follow."),
    topic: str = typer.Option("", help="Audit topic to search (default: the deployment's audit topic)."),
    as_json: bool = typer.Option(False, "--json", help="Print the ledger entries as JSON."),
) -> None:
    """Show where one event went and why: each partner it reached, under which agreement and
    version, with which fields, and each partner it was withheld from, by which rule."""
    entries = find_entries(event_id, topic)
    if not entries:
        console.print(f"[red]no ledger entry for event {event_id}[/]")
        raise typer.Exit(code=1)
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    for entry in entries:
        console.print(
            f"[bold]{entry['event_type']}[/] {event_id} from {entry['agency']} "
            f"(read at {entry['source']}, "
            f"ledger {entry['chain']} #{entry['seq']})"
        )
        table = Table("partner", "decision", "agreement", "fields / rule")
        for d in entry["delivered"]:
            withheld = ", ".join(f"{f} ({rule})" for f, rule in d["withheld"])
            detail = f"{len(d['fields'])} released: {', '.join(d['fields'])}"
            if withheld:
                detail += f"\nwithheld: {withheld}"
            scrubbed = ", ".join(
                f"{path} ({', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))})"
                for path, kinds in sorted(d.get("scrubbed", {}).items())
            )
            if scrubbed:
                detail += f"\nscrubbed: {scrubbed}"
            table.add_row(d["partner"], "[green]delivered[/]", f"{d['agreement']} v{d['version']}", detail)
        for n in entry["denied"]:
            agreement = f"{n['agreement']} v{n['version']}" if n.get("agreement") else "-"
            table.add_row(n["partner"], "[red]withheld[/]", agreement, f"{n['rule']}: {n['reason']}")
        console.print(table)
