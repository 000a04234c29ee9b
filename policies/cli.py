"""`pentameter policy`: tools for the people who write and review data-sharing agreements.

``check`` validates every agreement (what CI runs), ``explain`` shows what one partner would
receive of one event and why, ``diff`` shows what a change to the agreements changes for each
partner, ``matrix`` shows the whole partner x event type x field picture.

The tools compile agreements exactly as the router does, with throw-away pseudonym secrets and
in-memory keys: tokens and ciphertexts they print are illustrations, never real values.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clikit.group import command_group
from policies import report
from policies.crypto import InMemoryKeyRing
from policies.engine import PolicyEngine
from policies.exceptions import AgreementError, RegistryError
from policies.guardrails import GUARD_RAILS
from policies.pseudonyms import PseudonymSecrets
from policies.results import Delivery
from schemas.catalogue import Catalogue, load_catalogue
from schemas.convert import to_json
from schemas.exceptions import RecordInvalid
from schemas.validation import validate

app = command_group(
    help=(
        "Data-sharing agreements as code: validate them, explain what a partner receives, diff two "
        "versions, and show the partner x event type x field matrix."
    ),
)


def _out() -> Console:
    """Standard output, sized when the command runs (so COLUMNS and pipes are respected)."""
    return Console(soft_wrap=True)


def _err() -> Console:
    """Standard error, for problems."""
    return Console(stderr=True, soft_wrap=True)


AgreementsOpt = Annotated[
    Path | None,
    typer.Option("--agreements", help="Directory of agreement files (default: the package's baseline)."),
]
RegistryOpt = Annotated[
    Path | None,
    typer.Option("--registry", help="Partner registry file (default: the package's registry.yaml)."),
]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Judge agreements in force on this day (YYYY-MM-DD; default today)."),
]


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _engine(
    agreements: Path | None, registry: Path | None, day: date | None, catalogue: Catalogue | None = None
) -> PolicyEngine:
    """Load an engine for the tools, or print every problem and exit 1."""
    try:
        return PolicyEngine.load(
            catalogue or load_catalogue(),
            agreements,
            registry,
            secrets=PseudonymSecrets.generate(),
            encryptor=InMemoryKeyRing().encryptor(),
            today=day,
        )
    except AgreementError as exc:
        _err().print(f"[bold red]{len(exc.problems)} problem(s) in the agreements:[/]")
        for problem in exc.problems:
            _err().print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except RegistryError as exc:
        _err().print(f"[bold red]registry:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def check(
    agreements: AgreementsOpt = None,
    registry: RegistryOpt = None,
    on: DateOpt = None,
    rails: Annotated[
        bool, typer.Option("--rails", help="Also list the guard rails every agreement is held to.")
    ] = False,
) -> None:
    """Validate the registry and every agreement against the schema catalogue and the guard rails.

    Exits 1 and prints each problem as FILE:LINE: agreement ID vN: message [RULE] when anything is
    wrong (an unknown field, transform, partner or event type, bad dates, or a release a guard
    rail forbids); otherwise lists the agreements and which are in force.
    """
    day = _day(on)
    engine = _engine(agreements, registry, day)
    table = Table(title="Agreements", show_lines=False)
    for column in ("agreement", "version", "partner", "event types", "valid", "status"):
        table.add_column(column)
    today = engine.today
    for a in sorted(engine.agreements, key=lambda x: x.partner):
        if not a.in_force(today):
            status = "[red]not in force[/]"
        elif (a.valid_to - today).days <= 90:
            status = f"[yellow]ends in {(a.valid_to - today).days} days[/]"
        else:
            status = "[green]in force[/]"
        table.add_row(
            a.id, str(a.version), a.partner, ", ".join(a.events), f"{a.valid_from} .. {a.valid_to}", status
        )
    _out().print(table)
    missing = [p for p in engine.registry.partners if not any(a.partner == p for a in engine.agreements)]
    if missing:
        _out().print(f"partners with no agreement (they receive nothing): {', '.join(missing)}")
    if rails:
        rail_table = Table(title="Guard rails (enforced whatever an agreement says)")
        for column in ("rule", "domain rule", "what", "enforced"):
            rail_table.add_column(column)
        for rail in GUARD_RAILS.values():
            rail_table.add_row(rail.rule_id, str(rail.domain_rule), rail.summary, rail.enforced)
        _out().print(rail_table)
    plans = sum(1 for _ in engine.plans())
    _out().print(
        f"[bold green]OK[/]: {len(engine.agreements)} agreements, {plans} plans compiled and their "
        f"projection schemas registered; child routes probed."
    )


@app.command()
def explain(
    event: Annotated[Path, typer.Argument(help="JSON file with one event, as an agency would submit it.")],
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner id, e.g. nca.ukhtc.")],
    agreements: AgreementsOpt = None,
    registry: RegistryOpt = None,
    on: DateOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the projected record as JSON too.")] = False,
) -> None:
    """Show what PARTNER would receive of the event in EVENT.json and, per field, the rule and
    agreement version that decided it (or the denial and why). Tokens and ciphertexts shown are
    illustrations made with throw-away keys."""
    day = _day(on)
    catalogue = load_catalogue()
    engine = _engine(agreements, registry, day, catalogue)
    if partner not in engine.registry.partners:
        _err().print(
            f"unknown partner {partner!r}; known: {', '.join(engine.registry.partners)}", highlight=False
        )
        raise typer.Exit(2)
    try:
        raw = json.loads(event.read_text(encoding="utf-8"))
        record = validate(raw, catalogue=catalogue)
    except (OSError, json.JSONDecodeError) as exc:
        _err().print(f"cannot read {event}: {exc}", highlight=False)
        raise typer.Exit(2) from None
    except RecordInvalid as exc:
        _err().print(f"{event} is not a valid event:\n{exc}", highlight=False)
        raise typer.Exit(2) from None
    event_type = str(record["envelope"]["event_type"])
    decision, rows = report.explain_rows(engine, event_type, record, partner)
    if not isinstance(decision, Delivery):
        if decision is not None:
            version = f" v{decision.agreement_version}" if decision.agreement_version else ""
            _out().print(
                f"[bold red]DENIED[/] {partner} receives nothing of this {event_type}: "
                f"[bold]{decision.rule_id}[/] {decision.reason} "
                f"(agreement {decision.agreement_id or '-'}{version})",
                highlight=False,
            )
        return
    _out().print(
        f"[bold green]DELIVERED[/] to {partner} on {decision.topic} under {decision.agreement_id} "
        f"v{decision.agreement_version}, schema {decision.schema_name} "
        f"({decision.schema_fingerprint.hex()})",
        highlight=False,
    )
    table = Table(show_lines=False)
    for column in ("field", "outcome", "value sent", "decided by"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = "green" if row.outcome.startswith("released") else "red"
        table.add_row(row.path, f"[{style}]{row.outcome}[/]", row.value, row.decided_by)
    _out().print(table)
    plan = engine.plan(event_type, partner, day)
    if plan is not None:
        _out().print(report.scrub_note(plan), highlight=False, markup=False)
    if as_json:
        _out().print_json(json.dumps(to_json(decision.record)))


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Directory with the current agreements.")],
    new: Annotated[Path, typer.Argument(help="Directory with the proposed agreements.")],
    registry: RegistryOpt = None,
    on: DateOpt = None,
) -> None:
    """Show what changes for each partner between two versions of the agreements: agreement terms
    (version, dates, purposes, lawful basis), event types gained or lost, and each field added,
    removed or released differently. Both sets must validate."""
    day = _day(on)
    before = _engine(old, registry, day)
    after = _engine(new, registry, day)
    changes = report.diff_engines(before, after)
    if not changes:
        _out().print("no change for any partner")
        return
    for partner, items in changes.items():
        _out().print(f"[bold]{partner}[/]")
        for change in items:
            colour = {"added": "green", "removed": "red"}.get(change.kind, "yellow")
            _out().print(f"  [{colour}]{change}[/]", highlight=False, markup=True)


@app.command()
def matrix(
    agreements: AgreementsOpt = None,
    registry: RegistryOpt = None,
    on: DateOpt = None,
    event_type: Annotated[str | None, typer.Option("--event", help="Only this event type.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner.")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write every cell to this CSV file.")
    ] = None,
) -> None:
    """Show the sharing matrix: for each event type a table of fields x partners, each cell how the
    field reaches the partner (K keep, P pseudonymise, G generalise, M mask, E encrypt, several
    letters for fall-back cases, * when a condition or guard rail may withhold it, . not shared)."""
    day = _day(on)
    engine = _engine(agreements, registry, day)
    rows = report.matrix_rows(engine, event_type, partner)
    partners = list(dict.fromkeys(r.partner for r in rows))
    for name in dict.fromkeys(r.event_type for r in rows):
        table = Table(title=name, show_lines=False)
        width = max(len(r.field) for r in rows if r.event_type == name)
        table.add_column("field", no_wrap=True, min_width=width)
        for pid in partners:
            table.add_column(pid.replace(".", ".\n", 1), justify="center", overflow="fold")
        cells: dict[str, dict[str, str]] = {}
        for r in rows:
            if r.event_type == name:
                cells.setdefault(r.field, {})[r.partner] = r.code
        for field, by_partner in cells.items():
            table.add_row(field, *(by_partner.get(pid, ".") for pid in partners))
        _out().print(table)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "partner",
                    "event_type",
                    "field",
                    "released",
                    "how",
                    "conditional",
                    "rule",
                    "agreement",
                    "version",
                ]
            )
            for r in rows:
                writer.writerow(
                    [
                        r.partner,
                        r.event_type,
                        r.field,
                        r.released,
                        r.how,
                        r.conditional,
                        r.rule_id or "",
                        r.agreement or "",
                        r.version or "",
                    ]
                )
        _out().print(f"wrote {len(rows)} cells to {csv_file}")
