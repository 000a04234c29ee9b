"""``pentameter schemas``: list, show and check the event schemas.

The root command mounts :data:`app`; it can also run alone with ``python -m schemas.cli``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from clikit.choices import fail, unknown
from clikit.exits import ATTENTION, NOT_DONE
from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from schemas.catalogue import Catalogue, load_catalogue
from schemas.entry import SchemaEntry
from schemas.exceptions import CatalogueError, UnknownSchema

app = command_group(
    help="Inspect and check Pentameter's Avro event schemas (catalogue, fields, sensitivity "
    "marks, compatibility).",
)

ROOT_OPTION = typer.Option(
    None,
    "--root",
    help="Schema repository to use: a directory holding catalogue.yaml and avro/ "
    "(default: the installed schemas package).",
    exists=True,
    file_okay=False,
    dir_okay=True,
)


def _console() -> Console:
    return Console(soft_wrap=False, width=160)


def _load(root: Path | None) -> Catalogue:
    try:
        return load_catalogue(root)
    except CatalogueError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]cannot load the schema catalogue:[/] {exc}")
        raise typer.Exit(2) from None


@app.command("list")
def list_schemas(root: Path | None = ROOT_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List every event schema: its versions, compatibility mode and latest fingerprint.

    The fingerprint is the CRC-64-AVRO of the latest version's Parsing Canonical Form, in the
    byte order it has on the wire after the C3 01 marker.
    """
    catalogue = _load(root)
    if as_json:
        print_json(
            [
                {
                    "name": name,
                    "versions": [v.version for v in catalogue.versions(name)],
                    "mode": catalogue.mode(name).value,
                    "fingerprint": catalogue.latest(name).fingerprint_hex,
                    "fields": len(catalogue.latest(name).leaf_fields),
                }
                for name in catalogue.names()
            ]
        )
        return
    table = Table(title="Pentameter event schemas")
    table.add_column("name", style="bold")
    table.add_column("versions")
    table.add_column("mode")
    table.add_column("latest fingerprint", style="cyan")
    table.add_column("fields", justify="right")
    for name in catalogue.names():
        versions = catalogue.versions(name)
        latest = versions[-1]
        table.add_row(
            name,
            ", ".join(str(v.version) for v in versions),
            catalogue.mode(name).value,
            latest.fingerprint_hex,
            str(len(latest.leaf_fields)),
        )
    _console().print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Schema name, e.g. IntelligenceReport."),
    version: int | None = typer.Option(None, "--version", "-v", help="Version (default: latest)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print only the expanded schema JSON (for piping into other tools)."
    ),
    root: Path | None = ROOT_OPTION,
) -> None:
    """Show one schema version: field paths, types, sensitivity marks, the values of each enum and
    the schema JSON.

    Marks in brackets apply only when a condition holds, e.g. [suspect if people[].role in
    ASSOCIATE, SUSPECT, UNKNOWN].
    """
    catalogue = _load(root)
    if name not in catalogue.names() and name not in {
        catalogue.latest(n).full_name for n in catalogue.names()
    }:
        raise unknown("schema", name, catalogue.names())
    try:
        entry = catalogue.get(name, version)
    except UnknownSchema as exc:  # a version it does not have
        fail(str(exc))
        raise typer.Exit(NOT_DONE) from None
    schema_json = json.dumps(entry.schema, indent=2)
    console = _console()
    if as_json:
        typer.echo(schema_json)
        return
    console.print(
        f"[bold]{entry.label}[/]  {entry.full_name}  mode {entry.compatibility.value}  "
        f"fingerprint [cyan]{entry.fingerprint_hex}[/]"
    )
    table = Table()
    table.add_column("field path", style="bold")
    table.add_column("type")
    table.add_column("sensitivity")
    table.add_column("doc", overflow="fold", max_width=70)
    for info in entry.leaf_fields:
        marks = ", ".join(sorted(info.marks))
        conditional = "; ".join(
            f"[{', '.join(sorted(c.marks))} if {c.condition_path} in "
            f"{', '.join(sorted(str(v) for v in c.values))}]"
            for c in info.conditional
        )
        table.add_row(
            info.path,
            info.avro_type,
            " ".join(p for p in (marks, conditional) if p).replace("[", "\\["),
            info.doc,
        )
    console.print(table)
    console.print(_enum_table(entry))
    console.print(Syntax(schema_json, "json", word_wrap=True))


def _enum_table(entry: SchemaEntry) -> Table:
    """Each enum of the schema once: its symbols (what a field or a mapping may say) and its fields."""
    fields: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for info in entry.leaf_fields:
        if info.symbols:
            found = re.search(r"enum<(\w+)>", info.avro_type)
            kind = found.group(1) if found else info.avro_type
            fields.setdefault((kind, info.symbols), []).append(info.path)
    table = Table(title="Enum values")
    table.add_column("enum", style="bold")
    table.add_column("values", overflow="fold", max_width=90)
    table.add_column("fields", overflow="fold")
    for (kind, symbols), paths in fields.items():
        table.add_row(kind, ", ".join(symbols), ", ".join(paths))
    return table


@app.command("check")
def check(root: Path | None = ROOT_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Check that every schema's version history is compatible under its declared mode.

    Loads the repository strictly (unknown keys, unlisted files, missing docs and unknown
    sensitivity marks are errors, exit 2), then compares each version with the previous one
    (or with all earlier ones for a *_TRANSITIVE mode) and prints each broken field and rule.
    Exits 1 if any incompatibility is found, 0 otherwise.
    """
    catalogue = _load(root)
    if as_json:
        report = [
            {
                "name": name,
                "versions": len(catalogue.versions(name)),
                "mode": catalogue.mode(name).value,
                "findings": [
                    {
                        "rule": f.rule,
                        "path": f.path,
                        "direction": f.direction,
                        "new_version": f.new_version,
                        "old_version": f.old_version,
                        "message": str(f),
                    }
                    for f in catalogue.check(name)
                ],
            }
            for name in catalogue.names()
        ]
        print_json({"ok": not any(r["findings"] for r in report), "schemas": report})
        if any(r["findings"] for r in report):
            raise typer.Exit(ATTENTION)
        return
    console = _console()
    failures = 0
    for name in catalogue.names():
        findings = catalogue.check(name)
        count = len(catalogue.versions(name))
        versions = f"{count} version{'s' if count != 1 else ''}"
        mode = catalogue.mode(name).value
        if findings:
            failures += len(findings)
            console.print(f"[bold red]FAIL[/] {name} ({versions}, {mode})")
            for finding in findings:
                console.print(f"  {finding}  [dim]\\[{finding.rule}][/]", highlight=False)
        else:
            console.print(f"[green]ok[/]   {name} ({versions}, {mode})")
    if failures:
        console.print(f"[bold red]{failures} incompatibilit{'y' if failures == 1 else 'ies'}[/]")
        raise typer.Exit(ATTENTION)
    console.print("[green]all schema histories are compatible[/]")


if __name__ == "__main__":
    app()
