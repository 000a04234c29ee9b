"""`pentameter demo`: the whole operation on one machine, checked against the generator's truth.

1. a fresh topic namespace (``demo-<n>.``) on the local broker; earlier demo topics are removed;
2. the Pentameter 2 scenario generated (seeded, wholly fictional) with some invalid rows;
3. every agency ingests its file through the publisher SDK (bad rows go to a rejects file);
4. hostile records are written straight to an ingress topic (forged, unsigned, foreign, corrupt);
5. the router runs while ingestion happens, enforcing every agreement, exactly once;
6. every partner consumes its topic (provenance checked, its fields decrypted);
7. a table compares what each partner received, what was withheld, and the dead letters with
   what the agreements and the generator say must happen; the audit ledger is verified.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from consumers.cli import partner_reader, prepare
from consumers.deadletter import read_rejection
from consumers.ledger import verify_entries
from consumers.partner import PartnerConsumer, PartnerRecord
from consumers.router import RouterStats
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from consumers.topic_reader import read_topic
from infra.connection import bootstrap_servers
from infra.settings import load_settings
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from pentameter.hostile import inject_hostile
from producers.agencies import ingress_topic
from producers.generator import Generated, generate
from producers.ingest import ingest
from producers.publisher import AgencyPublisher
from schemas.validation import validate

console = Console()
if not console.is_terminal:
    console = Console(width=150)  # logs and CI: keep the tables readable
DEMO_PREFIX = "demo-"


@dataclass
class Expected:
    """What the agreements say must happen to the generated events, computed offline."""

    records: Counter[str] = field(default_factory=Counter)
    fields_withheld: Counter[str] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    events: int = 0


def _expected(runtime: Runtime, generated: Generated) -> Expected:
    expected = Expected()
    for file in generated.lines:
        if file.endswith(".json"):
            continue
        for raw in generated.good_records(file):
            record = validate(raw)
            expected.events += 1
            routing = runtime.engine.route(record["envelope"]["event_type"], copy.deepcopy(record))
            for d in routing.deliveries:
                expected.records[d.partner] += 1
                expected.fields_withheld[d.partner] += len(d.withheld)
            for n in routing.denials:
                expected.denied[n.partner] += 1
    return expected


def _fresh_namespace(bootstrap: str) -> str:
    """Delete earlier demo topics and return a new prefix, so every run starts from nothing."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=30).topics
    old = [t for t in topics if t.startswith(DEMO_PREFIX)]
    runs = [
        int(t[len(DEMO_PREFIX) :].split(".", 1)[0])
        for t in old
        if t[len(DEMO_PREFIX) :].split(".", 1)[0].isdigit()
    ]
    if old:
        for future in admin.delete_topics(old, operation_timeout=60).values():
            future.result(60)
    return f"{DEMO_PREFIX}{max(runs, default=0) + 1}."


def _ingest_all(runtime: Runtime, generated: Generated, workdir: Path) -> tuple[int, int]:
    """Publish every agency's file; returns (published, rejected)."""
    files = [f for f in generated.lines if not f.endswith(".json")]
    total_rows = sum(len(generated.lines[f]) for f in files)
    published = rejected = 0
    bootstrap = str(runtime.client["bootstrap.servers"])
    with Progress(
        TextColumn("[bold]ingest[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("agencies", total=total_rows)
        for file in files:
            agency = generated.agency_of(file)
            progress.update(task, description=agency)
            topic = runtime.topic(ingress_topic(agency))
            with AgencyPublisher(
                agency, topic=topic, bootstrap_servers=bootstrap, catalogue=runtime.catalogue
            ) as pub:
                report = ingest(
                    [generated.paths[file]],
                    pub,
                    rejects=workdir / "rejects" / f"{file}.rejects.jsonl",
                    on_row=lambda _row, _ok: progress.advance(task),
                )
            published += report.total_published
            rejected += report.total_rejected
    return published, rejected


def _consume_partner(runtime: Runtime, partner: str, topic: str) -> tuple[int, int, int]:
    """One partner's view: records read, fields decrypted, records refused by the partner SDK."""
    received = opened = refused = 0
    consumer = PartnerConsumer(runtime.client, topic, partner_reader(runtime, partner))
    try:
        for item in consumer.records(idle_timeout=3.0):
            if isinstance(item, PartnerRecord):
                received += 1
                opened += len(item.opened)
            else:
                refused += 1
    finally:
        consumer.close()
    return received, opened, refused


def _consume_partners(runtime: Runtime) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Every partner consumes its topic at the same time, as separate organisations would."""
    received: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=len(runtime.partner_topics)) as pool:
        futures = {p: pool.submit(_consume_partner, runtime, p, t) for p, t in runtime.partner_topics.items()}
        for partner, future in futures.items():
            received[partner], opened[partner], refused[partner] = future.result()
    return received, opened, refused


def _ledger_withheld(runtime: Runtime) -> tuple[Counter[str], bool, int]:
    """Fields withheld per partner as the audit ledger records them, and whether it verifies."""
    withheld: Counter[str] = Counter()
    values = []
    for record in read_topic(runtime.client, runtime.topic(AUDIT_TOPIC)):
        values.append((record.offset, record.value or b""))
        entry = json.loads(record.value or b"{}")
        for d in entry.get("delivered", []):
            withheld[d["partner"]] += len(d["withheld"])
    report = verify_entries(iter(values), runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get)
    return withheld, report.ok, report.entries


def _dead_letters(runtime: Runtime) -> Counter[str]:
    reasons: Counter[str] = Counter()
    for record in read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)):
        verdict = read_rejection(record.headers)
        reasons[verdict[0].reason.value if verdict else "?"] += 1
    return reasons


def demo(
    seed: int = typer.Option(2007, help="Scenario seed (same seed, same operation)."),
    scale: float = typer.Option(1.0, help="1.0 is the size of Pentameter 2 (about 9,000 events)."),
    bad_rows: int = typer.Option(12, help="Invalid rows planted in the agencies' files."),
) -> None:
    """Run the whole operation end to end on the local broker and check it against the ground truth.

    Generates the Pentameter 2 scenario, ingests it as the agencies, routes it through the
    agreements exactly once, consumes it as every partner, and prints a per-partner table that must
    match what the agreements say. Exits 1 on any mismatch.
    """
    started = time.monotonic()
    settings = load_settings()
    bootstrap = bootstrap_servers(settings)
    prefix = _fresh_namespace(bootstrap)
    runtime = build_runtime(replace(settings, topic_prefix=prefix, bootstrap_servers=bootstrap))
    workdir = settings.home / "demo"
    console.print(f"[bold]Pentameter demo[/] on Kafka at {bootstrap}, topics under [cyan]{prefix}*[/]")
    prepare(runtime)

    generated = generate("pentameter2", seed=seed, scale=scale, bad_rows=bad_rows, out=workdir / "scenario")
    truth = generated.ground_truth
    console.print(
        f"generated {sum(f['rows'] for f in truth['files'].values())} rows for "
        f"{len(truth['files'])} agencies ({bad_rows} invalid), "
        f"ground truth in {generated.paths['ground_truth.json']}"
    )
    expected = _expected(runtime, generated)

    stop = threading.Event()
    router = runtime.router(runtime.router_settings())
    stats_box: list[RouterStats] = []
    thread = threading.Thread(target=lambda: stats_box.append(router.run(stop)), name="router", daemon=True)
    thread.start()

    published, rejected = _ingest_all(runtime, generated, workdir)
    [sample_record] = [validate(r) for r in generated.good_records("nca.ukhtc.jsonl")[:1]]
    hostile = inject_hostile(runtime, "police.gloucestershire", "police.metropolitan", sample_record)
    target = published + len(hostile)
    deadline = time.monotonic() + 600
    while router.stats.consumed < target and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.2)
    stop.set()
    thread.join(60)
    stats = router.stats
    console.print(
        f"router: {stats.consumed} events in {stats.transactions} transactions, "
        f"{stats.delivered} partner records, {stats.dead_letters} dead letters"
    )

    received, opened, refused = _consume_partners(runtime)
    ledger_withheld, ledger_ok, ledger_entries = _ledger_withheld(runtime)
    dead = _dead_letters(runtime)
    ok = _report(runtime, expected, received, opened, refused, ledger_withheld)
    ok &= _report_inputs(truth, published, rejected, hostile, dead, expected)
    ok &= ledger_ok
    console.print(
        f"audit ledger: {ledger_entries} entries, "
        + ("[green]verified[/]" if ledger_ok else "[red]NOT verified[/]")
    )
    console.print(f"finished in {time.monotonic() - started:.0f} s")
    _next_steps(runtime, prefix, workdir)
    if not ok:
        console.print("[bold red]the demo does not match the ground truth[/]")
        raise typer.Exit(code=1)
    console.print("[bold green]every partner received exactly what its agreement allows[/]")


def _report(
    runtime: Runtime,
    expected: Expected,
    received: Counter[str],
    opened: Counter[str],
    refused: Counter[str],
    ledger_withheld: Counter[str],
) -> bool:
    table = Table(title="What each partner received")
    for column in ("partner", "kind", "records", "expected", "events withheld", "fields withheld",
                   "fields decrypted", "refused", "match"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("partner", "kind") else "right")
    ok = True
    partners = runtime.engine.registry.partners
    for partner in runtime.partner_topics:
        match = (
            received[partner] == expected.records[partner]
            and ledger_withheld[partner] == expected.fields_withheld[partner]
            and refused[partner] == 0
        )
        ok &= match
        table.add_row(
            partner,
            str(partners[partner].kind.value),
            str(received[partner]),
            str(expected.records[partner]),
            str(expected.denied[partner]),
            str(ledger_withheld[partner]),
            str(opened[partner]),
            str(refused[partner]),
            "[green]✓[/]" if match else "[red]✗[/]",
        )
    console.print(table)
    return ok


def _report_inputs(
    truth: dict[str, Any],
    published: int,
    rejected: int,
    hostile: dict[bytes, str],
    dead: Counter[str],
    expected: Expected,
) -> bool:
    table = Table(title="Input checks")
    table.add_column("check")
    table.add_column("found", justify="right")
    table.add_column("expected", justify="right")
    table.add_column("match")
    wanted_dead: Counter[str] = Counter(hostile.values())
    rows = [
        ("events published by agencies", published, expected.events),
        ("invalid rows rejected at ingest (rejects files)", rejected, len(truth["bad_rows"])),
        *((f"dead letters: {reason}", dead[reason], n) for reason, n in sorted(wanted_dead.items())),
        ("dead letters in all", sum(dead.values()), len(hostile)),
    ]
    ok = True
    for name, found, want in rows:
        ok &= found == want
        table.add_row(name, str(found), str(want), "[green]✓[/]" if found == want else "[red]✗[/]")
    console.print(table)
    return ok


def _next_steps(runtime: Runtime, prefix: str, workdir: Path) -> None:
    env = f"PENTAMETER_TOPIC_PREFIX={prefix}"
    console.print("[bold]where to look next[/]")
    console.print(f"  {env} pentameter partner consume --partner ngo.poppy | head -3   # a partner's view")
    console.print(f"  {env} pentameter audit verify                                  # check the ledger")
    console.print(f"  {env} pentameter audit trace <event_id>                        # one event's path")
    console.print(f"  {workdir}/scenario/ground_truth.json, {workdir}/rejects/         # inputs and rejects")
    console.print("  pentameter policy matrix                                       # who gets which field")


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
