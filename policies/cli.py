"""`pentameter policy`: tools for the people who write and review data-sharing agreements.

``check`` validates every agreement (what CI runs), ``explain`` shows what one partner would
receive of one event and why, ``diff`` shows what a change to the agreements changes for each
partner, ``matrix`` shows the whole partner x event type x field picture.

The tools compile agreements exactly as the router does, with throw-away pseudonym secrets and
in-memory keys: tokens and ciphertexts they print are illustrations, never real values.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clikit.choices import require
from clikit.exits import ATTENTION
from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from policies import report
from policies.compiler import Plan
from policies.crypto import InMemoryKeyRing
from policies.engine import PolicyEngine
from policies.exceptions import AgreementError, RegistryError
from policies.guardrails import GUARD_RAILS
from policies.pseudonyms import PseudonymSecrets
from policies.results import Delivery, Denial
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
    agreements: Path | None,
    registry: Path | None,
    day: date | None,
    catalogue: Catalogue | None = None,
    as_json: bool = False,
) -> PolicyEngine:
    """Load an engine for the tools, or print every problem (as JSON with ``as_json``) and exit 1."""
    try:
        return PolicyEngine.load(
            catalogue or load_catalogue(),
            agreements,
            registry,
            secrets=PseudonymSecrets.generate(),
            encryptor=InMemoryKeyRing().encryptor(),
            today=day,
        )
    except (AgreementError, RegistryError) as exc:
        problems = [str(p) for p in exc.problems] if isinstance(exc, AgreementError) else [f"registry: {exc}"]
        if as_json:
            print_json({"ok": False, "problems": problems})
        elif isinstance(exc, AgreementError):
            _err().print(f"[bold red]{len(problems)} problem(s) in the agreements:[/]")
            for problem in problems:
                _err().print(problem, markup=False, highlight=False)
        else:
            _err().print(f"[bold red]registry:[/] {exc}", highlight=False)
        raise typer.Exit(ATTENTION) from None


@app.command()
def check(
    agreements: AgreementsOpt = None,
    registry: RegistryOpt = None,
    on: DateOpt = None,
    rails: Annotated[
        bool, typer.Option("--rails", help="Also list the guard rails every agreement is held to.")
    ] = False,
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate the registry and every agreement against the schema catalogue and the guard rails.

    Exits 1 and prints each problem as FILE:LINE: agreement ID vN: message [RULE] when anything is
    wrong (an unknown field, transform, partner or event type, bad dates, or a release a guard
    rail forbids); otherwise lists the agreements and which are in force.
    """
    day = _day(on)
    engine = _engine(agreements, registry, day, as_json=as_json)
    today = engine.today
    missing = [p for p in engine.registry.partners if not any(a.partner == p for a in engine.agreements)]
    plans = sum(1 for _ in engine.plans())
    listed = sorted(engine.agreements, key=lambda x: x.partner)
    if as_json:
        print_json(
            {
                "ok": True,
                "day": today,
                "agreements": [
                    {
                        "id": a.id,
                        "version": a.version,
                        "partner": a.partner,
                        "events": list(a.events),
                        "valid_from": a.valid_from,
                        "valid_to": a.valid_to,
                        "in_force": a.in_force(today),
                        "days_left": (a.valid_to - today).days,
                    }
                    for a in listed
                ],
                "partners_without_agreement": missing,
                "plans": plans,
                "guard_rails": [
                    {
                        "rule": r.rule_id,
                        "domain_rule": r.domain_rule,
                        "what": r.summary,
                        "enforced": r.enforced,
                    }
                    for r in GUARD_RAILS.values()
                ]
                if rails
                else None,
            }
        )
        return
    table = Table(title="Agreements", show_lines=False)
    for column in ("agreement", "version", "partner", "event types", "valid", "status"):
        table.add_column(column)
    for a in listed:
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
    if missing:
        _out().print(f"partners with no agreement (they receive nothing): {', '.join(missing)}")
    if rails:
        rail_table = Table(title="Guard rails (enforced whatever an agreement says)")
        for column in ("rule", "domain rule", "what", "enforced"):
            rail_table.add_column(column)
        for rail in GUARD_RAILS.values():
            rail_table.add_row(rail.rule_id, str(rail.domain_rule), rail.summary, rail.enforced)
        _out().print(rail_table)
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
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what PARTNER would receive of the event in EVENT.json and, per field, the rule and
    agreement version that decided it (or the denial and why). Tokens and ciphertexts shown are
    illustrations made with throw-away keys. With --json: the decision, each field and the
    projected record as one JSON document."""
    day = _day(on)
    catalogue = load_catalogue()
    engine = _engine(agreements, registry, day, catalogue, as_json=as_json)
    require("partner", partner, engine.registry.partners)
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
    plan = engine.plan(event_type, partner, day)
    if as_json:
        print_json(_explain_json(partner, event_type, decision, rows, plan))
        return
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
    if plan is not None:
        _out().print(report.scrub_note(plan), highlight=False, markup=False)


def _explain_json(
    partner: str,
    event_type: str,
    decision: Delivery | Denial | None,
    rows: list[report.ExplainRow],
    plan: Plan | None,
) -> dict[str, Any]:
    """``policy explain --json``: the decision, each field's fate and the projected record."""
    document: dict[str, Any] = {"partner": partner, "event_type": event_type}
    if isinstance(decision, Delivery):
        document.update(
            decision="delivered",
            topic=decision.topic,
            agreement=decision.agreement_id,
            version=decision.agreement_version,
            schema=decision.schema_name,
            fingerprint=decision.schema_fingerprint.hex(),
            fields=[dataclasses.asdict(row) for row in rows],
            record=to_json(decision.record),
            rule_11=report.scrub_note(plan) if plan is not None else None,
        )
    elif decision is not None:
        document.update(
            decision="denied",
            rule=decision.rule_id,
            reason=decision.reason,
            agreement=decision.agreement_id,
            version=decision.agreement_version,
        )
    return document


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Directory with the current agreements.")],
    new: Annotated[Path, typer.Argument(help="Directory with the proposed agreements.")],
    registry: RegistryOpt = None,
    on: DateOpt = None,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when anything changes, 0 when nothing does (as git diff)."),
    ] = False,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what changes for each partner between two versions of the agreements: agreement terms
    (version, dates, purposes, lawful basis), event types gained or lost, and each field added,
    removed or released differently. Both sets must validate (exit 1 naming each problem)."""
    day = _day(on)
    before = _engine(old, registry, day, as_json=as_json)
    after = _engine(new, registry, day, as_json=as_json)
    changes = report.diff_engines(before, after)
    if as_json:
        print_json({partner: [dataclasses.asdict(c) for c in items] for partner, items in changes.items()})
    else:
        _print_changes(changes)
    if exit_code and changes:
        raise typer.Exit(ATTENTION)


def _print_changes(changes: dict[str, list[report.Change]]) -> None:
    if not changes:
        _out().print("no change for any partner")
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
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the sharing matrix: for each event type a table of fields x partners, each cell how the
    field reaches the partner (K keep, P pseudonymise, G generalise, M mask, E encrypt, several
    letters for fall-back cases, * when a condition or guard rail may withhold it, . not shared)."""
    day = _day(on)
    engine = _engine(agreements, registry, day, as_json=as_json)
    require("event type", event_type, engine.catalogue.event_types())
    require("partner", partner, engine.registry.partners)
    rows = report.matrix_rows(engine, event_type, partner)
    partners = list(dict.fromkeys(r.partner for r in rows))
    if csv_file is not None:
        _write_matrix_csv(csv_file, rows)
    if as_json:
        print_json([dataclasses.asdict(r) | {"code": r.code} for r in rows])
        return
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
        _out().print(f"wrote {len(rows)} cells to {csv_file}")


def _write_matrix_csv(path: Path, rows: list[report.MatrixRow]) -> None:
    columns = (
        "partner",
        "event_type",
        "field",
        "released",
        "how",
        "conditional",
        "rule",
        "agreement",
        "version",
    )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
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
