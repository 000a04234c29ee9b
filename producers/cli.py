"""The agency-side commands: `pentameter ingest`, `pentameter generate`, `pentameter bench publish`.

The root command mounts them with :func:`register`; each command is a thin layer over the module
that does the work (ingest, generator, bench) plus rich output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clikit.choices import unknown
from clikit.output import JSON_OPTION, print_json
from infra.connection import ConnectionFailed, bootstrap_servers, check_connection, client_config
from infra.credentials import CredentialError
from infra.settings import load_settings
from producers import bench as bench_module
from producers.adapters import Row, count_rows, is_csv
from producers.agencies import agencies, deployed_ingress_topic
from producers.exceptions import MappingError, ProducersError
from producers.generator import GROUND_TRUTH, SCENARIOS, generate
from producers.ingest import IngestReport, check_files, check_headers, ingest
from producers.mapping import CsvMapping, load_mapping
from producers.pentameter2 import FIGURES
from producers.publisher import DEFAULT_BATCH_SIZE, AgencyPublisher
from producers.topics import ensure_topic

console = Console(stderr=True, soft_wrap=True)
out = Console()
SHOWN_REJECTS = 20
"""Rejected rows named on the terminal (all of them are in the rejects file)."""


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


# -- ingest ------------------------------------------------------------------------------------


def ingest_command(
    files: list[Path] = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="JSON Lines files (.jsonl) of records in JSON form, or CSV files (.csv) with --mapping.",
    ),
    agency: str = typer.Option(
        ..., "--agency", help="Publishing agency id, e.g. police.gloucestershire, nca.ukhtc, ngo.poppy."
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        exists=True,
        dir_okay=False,
        help="Column-mapping YAML for CSV files (every key, with an example per event type: "
        "docs/mapping.md).",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Check the mapping, the CSV headers and every row as they would be published, without "
        "a broker and without sending or writing anything.",
    ),
    rejects: Path | None = typer.Option(
        None,
        "--rejects",
        help="JSON Lines file for rejected rows (default: <input>.rejects.jsonl next to each input).",
    ),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="Kafka bootstrap servers (overrides KAFKA_BOOTSTRAP_SERVERS)."
    ),
    create_topic: bool = typer.Option(
        True,
        "--create-topic/--no-create-topic",
        help="Create the agency's ingress topic (3 partitions, broker default replication) if missing.",
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Events per signed batch."
    ),
    topic: str | None = typer.Option(
        None,
        "--topic",
        help="Publish to this topic instead of the agency's ingress topic (rehearsals, tests).",
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate, sign and publish an agency's records to its ingress topic.

    The mapping and every CSV header are checked before any row is read: a mapped column missing
    from a header stops the run at once (exit 2), columns the mapping does not use are named in a
    warning. Every row is then either published or written to the rejects file with its file,
    line, event id, field, CSV column and reason, every problem of the row at once; bad rows
    never hold up good ones. Connects like every other command: KAFKA_BOOTSTRAP_SERVERS (or
    --bootstrap), as PENTAMETER_PRINCIPAL on the secure cluster. Exit status: 0 when every row was
    published (or, with --check, would be), 1 when any row was rejected, 2 on a usage error, a
    bad mapping or header, no connection, or when the broker did not acknowledge some valid rows.
    """
    if agency not in agencies():
        raise unknown("agency", agency, agencies())
    loaded = _mapping_for(files, mapping)
    headers = check_headers(files, loaded) if loaded is not None else {}
    for source, header in headers.items():
        if header.missing:
            raise _fail(f"{source}: columns missing from the header: {', '.join(header.missing)}")
        if header.unmapped and not as_json:
            console.print(
                f"[yellow]warning:[/] {source}: columns the mapping does not use (ignored): "
                f"{', '.join(header.unmapped)}",
                highlight=False,
            )
    unmapped = {str(source): list(h.unmapped) for source, h in headers.items() if h.unmapped}
    if check:
        report = check_files(files, agency, mapping=loaded)
        _finish(report, "check (nothing sent)", as_json, {"check": True, "unmapped_columns": unmapped})
    topic = topic or deployed_ingress_topic(agency)
    client = _connect(bootstrap)
    servers = str(client["bootstrap.servers"])
    if create_topic:
        try:
            if ensure_topic(client, topic) and not as_json:
                console.print(f"[dim]created topic {topic}[/]")
        except Exception as exc:  # admin errors come as KafkaException with assorted codes
            raise _fail(f"cannot create topic {topic} on {servers}: {exc}") from exc
    total = sum(count_rows(f) for f in files)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or as_json,
        transient=False,
    )
    with progress:
        task = progress.add_task(f"publishing to {topic}", total=total)

        def advance(_row: Row, _accepted: bool) -> None:
            progress.advance(task)

        auth = {k: v for k, v in client.items() if k != "bootstrap.servers"}
        try:
            with AgencyPublisher(
                agency, topic=topic, bootstrap_servers=servers, config=auth, batch_size=batch_size
            ) as publisher:
                report = ingest(files, publisher, mapping=loaded, rejects=rejects, on_row=advance)
        except ProducersError as exc:
            raise _fail(str(exc)) from exc
    _finish(report, f"ingest into {topic}", as_json, {"topic": topic, "unmapped_columns": unmapped})


def _mapping_for(files: list[Path], mapping: Path | None) -> CsvMapping | None:
    """The loaded mapping (None when no file is CSV and none is given); exit 2 on any problem."""
    csv_files = [f for f in files if is_csv(f)]
    if csv_files and mapping is None:
        raise _fail(f"{csv_files[0]} is CSV: give --mapping FILE to say how its columns map to fields")
    if mapping is None:
        return None
    try:
        return load_mapping(mapping)
    except MappingError as exc:
        raise _fail(str(exc)) from exc


def _connect(bootstrap: str | None) -> dict[str, Any]:
    """The same client settings as every command (``PENTAMETER_PRINCIPAL`` included), checked to
    reach the cluster: a clear error in seconds instead of a minute of silent retries."""
    try:
        client = client_config(load_settings())
    except CredentialError as exc:
        raise _fail(str(exc)) from exc
    if bootstrap:
        client["bootstrap.servers"] = bootstrap
    try:
        check_connection(client)
    except ConnectionFailed as exc:
        raise _fail(str(exc)) from exc
    return client


def _finish(report: IngestReport, title: str, as_json: bool, extra: dict[str, Any]) -> NoReturn:
    if as_json:
        print_json({**extra, **report.to_json()})
    else:
        _print_report(report, title, "would publish" if extra.get("check") else "published")
    raise typer.Exit(code=report.exit_code)


def _print_report(report: IngestReport, title: str, published: str) -> None:
    table = Table(title=title)
    table.add_column("event type")
    for name in ("read", published, "rejected"):
        table.add_column(name, justify="right")
    if report.total_undelivered:
        table.add_column("not delivered", justify="right")
    for kind in sorted(report.read):
        cells = [kind, str(report.read[kind]), str(report.published[kind]), str(report.rejected[kind])]
        if report.total_undelivered:
            cells.append(str(report.undelivered[kind]))
        table.add_row(*cells)
    totals = ["total", str(report.total_read), str(report.total_published), str(report.total_rejected)]
    if report.total_undelivered:
        totals.append(str(report.total_undelivered))
    table.add_row(*totals, style="bold")
    out.print(table)
    for line in report.rejects[:SHOWN_REJECTS]:
        issues = "; ".join(
            i["reason"] if not i["field"] else f"{i['field']}: {i['reason']}" for i in line["issues"]
        )
        console.print(
            f"[red]rejected[/] {escape(line['file'])} line {line['line']}: {escape(issues)}", highlight=False
        )
    if report.total_rejected > SHOWN_REJECTS:
        console.print(f"... and {report.total_rejected - SHOWN_REJECTS} more rejected row(s)")
    if report.total_rejected or report.total_undelivered:
        for path in report.rejects_files:
            console.print(f"rejected rows written to [bold]{path}[/]")


# -- generate ----------------------------------------------------------------------------------


def generate_command(
    scenario: str = typer.Option(
        "pentameter2", "--scenario", help=f"Scenario: {', '.join(sorted(SCENARIOS))}."
    ),
    seed: int = typer.Option(..., "--seed", help="Seed: the same seed gives the same files byte for byte."),
    bad_rows: int = typer.Option(0, "--bad-rows", min=0, help="Invalid rows to inject, spread across files."),
    out_dir: Path | None = typer.Option(
        None, "--out", file_okay=False, help="Output directory (default: out/<scenario>-seed<seed>)."
    ),
    scale: float = typer.Option(
        1.0, "--scale", help="Size relative to the real operation, 0.01 to 5 (0.1 = a tenth)."
    ),
    launch: datetime | None = typer.Option(
        None,
        "--launch",
        formats=["%Y-%m-%d"],
        help="Launch day (YYYY-MM-DD); by default the operation ended two weeks ago, so its records "
        "are current (a record past its review date is shared with no one).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate a wholly fictional operation in the shape of Pentameter 2 (launched 3 October 2007).

    About six months of events from every police force and the partner agencies: 6,400
    intelligence reports, 822 premises visits (157 massage parlours and saunas, 582 residential),
    167 victims (13 children, youngest 14), 528 arrests, cash seizures just over 500,000 pounds and
    restraint orders of several millions, NRM referrals, Duty to Notify and SCA decisions, with
    organised-crime networks whose phones, vehicles and premises link several forces. The 46
    ForceArea symbols of the schema stand in for the 55 UK police forces. Writes one JSON Lines
    file per agency (ready for `pentameter ingest`) and ground_truth.json.
    """
    target = out_dir or Path("out") / f"{scenario}-seed{seed}"
    try:
        result = generate(
            scenario,
            seed=seed,
            scale=scale,
            bad_rows=bad_rows,
            out=target,
            launch=launch.replace(tzinfo=UTC) if launch else None,
        )
    except ProducersError as exc:
        raise _fail(str(exc)) from exc
    counts = result.ground_truth["counts"]
    if as_json:
        print_json({"out": target, "files": sorted(result.lines), "ground_truth": target / GROUND_TRUTH,
                    "counts": counts, "cross_force_links": len(result.ground_truth["cross_force_links"]),
                    "bad_rows": len(result.ground_truth["bad_rows"])})  # fmt: skip
        return
    table = Table(title=f"{scenario}, seed {seed}, scale {scale:g}")
    table.add_column("figure")
    table.add_column("Pentameter 2", justify="right")
    table.add_column("generated", justify="right")
    rows = [
        ("intelligence reports", f"{FIGURES.intelligence_reports:,}", counts["intelligence_reports"]),
        ("premises visited", f"{FIGURES.premises_visits:,}", counts["premises_visits"]["total"]),
        (
            "  massage parlours and saunas",
            f"{FIGURES.massage_parlours_saunas:,}",
            counts["premises_visits"]["by_type"].get("MASSAGE_PARLOUR_SAUNA", 0),
        ),
        (
            "  residential",
            f"{FIGURES.residential:,}",
            counts["premises_visits"]["by_type"].get("RESIDENTIAL", 0),
        ),
        ("victims", f"{FIGURES.victims:,}", counts["victims"]["total"]),
        (
            "  children (youngest)",
            f"{FIGURES.child_victims} ({FIGURES.youngest_child_age})",
            f"{counts['victims']['children']} ({counts['victims']['youngest_child_age']})",
        ),
        ("arrests", f"{FIGURES.arrests:,}", counts["arrests"]),
        ("cash seized", "over £500,000", f"£{counts['cash_pence'] / 100:,.2f}"),
        ("restrained", "several £ millions", f"£{counts['restraint_pence'] / 100:,.2f}"),
        (
            "NRM referrals / Duty to Notify",
            "",
            f"{counts['nrm_referrals']['total']} / {counts['duty_to_notify']}",
        ),
        ("cross-force links planted", "", len(result.ground_truth["cross_force_links"])),
        ("bad rows injected", "", len(result.ground_truth["bad_rows"])),
    ]
    for name, published, generated in rows:
        table.add_row(name, published, str(generated))
    out.print(table)
    console.print(f"{len(result.lines)} files and {GROUND_TRUTH} written to [bold]{target}[/]")


# -- bench -------------------------------------------------------------------------------------


def bench_publish_command(
    events: int | None = typer.Option(
        None,
        "--events",
        min=1,
        help=f"Events per stage (default: {bench_module.DEFAULT_EVENTS:,} unless --seconds).",
    ),
    seconds: float | None = typer.Option(None, "--seconds", min=0.1, help="Stop each stage after this long."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Events per signed batch."
    ),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="Kafka bootstrap servers (overrides KAFKA_BOOTSTRAP_SERVERS)."
    ),
    pin_cpu: int | None = typer.Option(
        None, "--pin-cpu", min=0, help="Pin the process (and librdkafka's threads) to this CPU."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Measure events/s for validate + sign + encode + produce of IntelligenceReports on one thread.

    Each stage is timed alone, then the whole path through the agency publisher, against the real
    broker on a topic created for the run and deleted after. The target is 20,000 events/s.
    """
    servers = bootstrap or bootstrap_servers()
    if not as_json:
        console.print(f"[dim]benchmarking against {servers} ...[/]")
    result = bench_module.run(servers, events=events, seconds=seconds, batch_size=batch_size, pin_cpu=pin_cpu)
    if as_json:
        print_json(result.to_json())
        return
    table = Table(
        title=f"publish IntelligenceReport ({result.mean_value_bytes:.0f} bytes, batches of {batch_size})"
    )
    table.add_column("stage")
    table.add_column("events", justify="right")
    table.add_column("events/s", justify="right")
    table.add_column("µs/event", justify="right")
    table.add_column("share", justify="right")
    for stage in result.stages:
        table.add_row(
            stage.name,
            f"{stage.events:,}",
            f"{stage.rate:,.0f}",
            f"{stage.micros:.1f}",
            f"{result.share(stage):.0%}",
        )
    table.add_row(
        "(broker acks)",
        f"{result.broker.events:,}",
        f"{result.broker.rate:,.0f}",
        f"{result.broker.micros:.1f}",
        "",
        style="dim",
    )
    e2e = result.end_to_end
    verdict = "[green]meets[/]" if e2e.rate >= bench_module.TARGET_RATE else "[red]below[/]"
    table.add_row("end to end", f"{e2e.events:,}", f"{e2e.rate:,.0f}", f"{e2e.micros:.1f}", "", style="bold")
    out.print(table)
    console.print(f"end to end {verdict} the target of {bench_module.TARGET_RATE:,} events/s")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Mount `ingest` and `generate` on the root app and `publish` on the `bench` group."""
    app.command(name="ingest")(ingest_command)
    app.command(name="generate")(generate_command)
    bench_app.command(name="publish")(bench_publish_command)
