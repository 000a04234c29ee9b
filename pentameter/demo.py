"""`pentameter demo`: the whole operation on one machine, checked against the generator's truth.

1. a fresh topic namespace (``demo-<n>.``) on the local broker; earlier demo topics are removed;
2. the Pentameter 2 scenario generated (seeded, wholly fictional) with some invalid rows;
3. every agency ingests its file through the publisher SDK (bad rows go to a rejects file);
4. hostile records are written straight to an ingress topic (forged, unsigned, foreign, corrupt);
5. the router runs while ingestion happens, enforcing every agreement, exactly once;
6. every partner consumes its topic (provenance checked, its fields decrypted);
7. a table compares what each partner received, what was withheld and scrubbed (rule 11), and the
   dead letters with what the agreements and the generator say must happen; the audit ledger is
   verified.

With ``--secure`` the same run happens on the secure cluster (SASL SCRAM, ACLs; started if it is
not running): the operator creates the topics and applies the ACLs, then every component connects
as its own principal (each agency, the router, each partner) and the broker enforces who may do
what; the operator reads the audit and dead-letter topics. Revoked partners are left out.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from consumers.analytics.app import worker_topics
from consumers.analytics.live import CellView, Check, OperationPicture
from consumers.cli import prepare
from consumers.deadletter import read_rejection
from consumers.ledger import verify_entries
from consumers.partner import PartnerRecord
from consumers.partner_client import PartnerClient
from consumers.partner_kit import default_kit_dir, deployment_kit
from consumers.router import RouterStats
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from consumers.topic_reader import read_topic
from infra.acls import apply_plan
from infra.broker.local import LocalCluster
from infra.connection import bootstrap_servers, principal_config
from infra.security import OPERATOR_PRINCIPAL
from infra.settings import Settings, load_settings
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC, ensure_topics
from pentameter.acls_cli import ROUTER_PRINCIPAL, agency_principal, compute_plan, partner_principal
from pentameter.exceptions import AclsNotEnforced
from pentameter.hostile import inject_hostile
from producers.agencies import ingress_topic
from producers.generator import Generated, generate
from producers.ingest import ingest
from producers.publisher import AgencyPublisher
from producers.truth import tally
from schemas.validation import validate

console = Console()
if not console.is_terminal:
    console = Console(width=150)  # logs and CI: keep the tables readable
DEMO_PREFIX = "demo-"
HOSTILE_AGENCY = "police.gloucestershire"
CELL = "ncc"
"""The national coordination cell: its operation picture (dashboard) is checked too."""
Identities = Callable[[str], dict[str, Any]]
"""Principal -> client configuration (on the plain cluster every component shares one)."""


@dataclass
class Expected:
    """What the agreements say must happen to the generated events, computed offline."""

    records: Counter[str] = field(default_factory=Counter)
    fields_withheld: Counter[str] = field(default_factory=Counter)
    scrubbed: Counter[str] = field(default_factory=Counter)
    """Spans rule 11 replaced, per partner."""
    denied: Counter[str] = field(default_factory=Counter)
    events: int = 0
    cell_records: list[dict[str, Any]] = field(default_factory=list)
    """The generated records the coordination cell receives: the dashboard's ground truth."""


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
                expected.scrubbed[d.partner] += _spans(d.scrubbed)
                if d.partner == CELL:
                    expected.cell_records.append(raw)
            for n in routing.denials:
                expected.denied[n.partner] += 1
    return expected


def _fresh_namespace(admin_config: dict[str, Any]) -> str:
    """Delete earlier demo topics and return a new prefix, so every run starts from nothing."""
    admin = AdminClient(admin_config)
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


def _ingest_all(
    runtime: Runtime, generated: Generated, workdir: Path, identity: Identities
) -> tuple[int, int]:
    """Publish every agency's file, each as its own principal; returns (published, rejected)."""
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
            auth = {k: v for k, v in identity(agency_principal(agency)).items() if k != "bootstrap.servers"}
            with AgencyPublisher(
                agency, topic=topic, bootstrap_servers=bootstrap, config=auth, catalogue=runtime.catalogue
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


def _consume_partner(runtime: Runtime, partner: str, client: dict[str, Any]) -> tuple[int, int, int]:
    """One partner's view, through its kit alone (its settings, its keys, the router's public
    keys, its own governance topic): records read, fields decrypted, records the SDK refused."""
    kit = deployment_kit(runtime.settings, partner, default_kit_dir(runtime.settings, partner), client)
    received = opened = refused = 0
    with PartnerClient(kit).consumer(group=f"{kit.group}-{uuid.uuid4().hex[:8]}") as consumer:
        for item in consumer.records(idle_timeout=3.0):
            if isinstance(item, PartnerRecord):
                received += 1
                opened += len(item.opened)
            else:
                refused += 1
    return received, opened, refused


def _consume_partners(
    runtime: Runtime, identity: Identities
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Every partner consumes its topic at the same time, as its own principal, as separate
    organisations would (a revoked partner has no credential and no key left: it is skipped)."""
    received: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    partners = {p: t for p, t in runtime.partner_topics.items() if p not in runtime.revoked}
    with ThreadPoolExecutor(max_workers=len(partners)) as pool:
        futures = {
            p: pool.submit(_consume_partner, runtime, p, identity(partner_principal(p))) for p in partners
        }
        for partner, future in futures.items():
            received[partner], opened[partner], refused[partner] = future.result()
    return received, opened, refused


def _spans(scrubbed: Mapping[str, Mapping[str, int]]) -> int:
    return sum(n for kinds in scrubbed.values() for n in kinds.values())


@dataclass
class Ledger:
    """What the audit ledger says was withheld and scrubbed, per partner, and whether it verifies."""

    withheld: Counter[str] = field(default_factory=Counter)
    scrubbed: Counter[str] = field(default_factory=Counter)
    scrubbed_kinds: Counter[str] = field(default_factory=Counter)
    ok: bool = False
    entries: int = 0


def _ledger(runtime: Runtime) -> Ledger:
    ledger = Ledger()
    values = []
    for record in read_topic(runtime.client, runtime.topic(AUDIT_TOPIC)):
        values.append((record.offset, record.value or b""))
        entry = json.loads(record.value or b"{}")
        for d in entry.get("delivered", []):
            ledger.withheld[d["partner"]] += len(d["withheld"])
            scrubbed = d.get("scrubbed", {})
            ledger.scrubbed[d["partner"]] += _spans(scrubbed)
            for kinds in scrubbed.values():
                ledger.scrubbed_kinds.update(kinds)
    report = verify_entries(iter(values), runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get)
    ledger.ok, ledger.entries = report.ok, report.entries
    return ledger


def _dead_letters(runtime: Runtime) -> Counter[str]:
    reasons: Counter[str] = Counter()
    for record in read_topic(runtime.client, runtime.topic(DEAD_LETTER_TOPIC)):
        verdict = read_rejection(record.headers)
        reasons[verdict[0].reason.value if verdict else "?"] += 1
    return reasons


def _secure_cluster(settings: Settings) -> dict[str, Any]:
    """Start the secure local cluster unless it runs (idempotent); the operator's client settings."""
    cluster = LocalCluster(settings, secure=True)
    if not cluster.is_up():
        shape = cluster.recorded_shape()
        nodes = int(str(shape["nodes"])) if shape else 1
        cluster.up(nodes, progress=lambda line: console.print(f"secure broker: {line}"))
    return principal_config(OPERATOR_PRINCIPAL, settings)


def _apply_acls(runtime: Runtime, operator: dict[str, Any]) -> None:
    """As the operator: the users and ACLs this deployment's principals need, nothing more."""
    admin = AdminClient(operator)
    plan = compute_plan(runtime, admin)
    store = LocalCluster(runtime.settings, secure=True).credentials
    passwords = store.ensure(*plan.new_users) if plan.new_users else {}
    if not plan.empty:
        apply_plan(admin, plan, passwords)
    console.print(
        f"ACLs applied as {OPERATOR_PRINCIPAL}: {len(plan.new_users)} user(s), {len(plan.create)} grant(s) "
        f"added, {len(plan.delete)} removed"
    )


def _setup(settings: Settings, secure: bool) -> tuple[Runtime, Identities, str]:
    """A fresh namespace on the plain or secure cluster, its topics (and ACLs), and who connects how."""
    if not secure:
        bootstrap = bootstrap_servers(settings)
        prefix = _fresh_namespace({"bootstrap.servers": bootstrap})
        runtime = build_runtime(replace(settings, topic_prefix=prefix, bootstrap_servers=bootstrap))
        prepare(runtime)
        return runtime, lambda _principal: runtime.client, prefix
    settings = replace(settings, bootstrap_servers=None, principal=None)
    operator = _secure_cluster(settings)
    prefix = _fresh_namespace(operator)
    runtime = build_runtime(replace(settings, topic_prefix=prefix)).as_principal(operator)
    prepare(runtime)
    _apply_acls(runtime, operator)

    def identity(principal: str) -> dict[str, Any]:
        return principal_config(principal, settings)

    wait_for_grants(runtime, identity)
    return runtime, identity, prefix


def wait_for_grants(runtime: Runtime, identity: Identities, timeout: float = 60.0) -> None:
    """Wait until the broker enforces the new ACLs: the cluster stores them at once but its
    authorizer takes a moment to load them, and a client refused meanwhile would fail the demo.
    Each principal checked must see (DESCRIBE) every topic it was granted."""
    agencies = sorted(runtime.ingress_topics.items())
    expect = {
        ROUTER_PRINCIPAL: set(runtime.ingress_topics) | set(runtime.partner_topics.values()),
        **{agency_principal(a): {t} for t, a in (agencies[0], agencies[-1])},
        **{partner_principal(p): {t} for p, t in runtime.partner_topics.items() if p not in runtime.revoked},
    }
    deadline = time.monotonic() + timeout
    for principal, topics in expect.items():
        admin = AdminClient(identity(principal))
        while not topics <= set(admin.list_topics(timeout=10).topics):
            if time.monotonic() > deadline:
                raise AclsNotEnforced(f"the broker did not enforce {principal}'s ACLs within {timeout:.0f}s")
            time.sleep(0.25)


def demo(
    seed: int = typer.Option(2007, help="Scenario seed (same seed, same operation)."),
    scale: float = typer.Option(1.0, help="1.0 is the size of Pentameter 2 (about 9,000 events)."),
    bad_rows: int = typer.Option(12, help="Invalid rows planted in the agencies' files."),
    secure: bool = typer.Option(
        False,
        "--secure",
        help="On the secure cluster (started if needed): every component as its own principal, under ACLs.",
    ),
    dashboard: bool = typer.Option(
        True,
        "--dashboard/--no-dashboard",
        help="Run the coordination cell's analytics worker and dashboard (port 6066 when free) during "
        "the run and check its figures and link alerts against the ground truth.",
    ),
    hold: bool = typer.Option(
        False, "--hold", help="Keep the dashboard running after the checks until Ctrl-C, to look around."
    ),
) -> None:
    """Run the whole operation end to end on the local broker and check it against the ground truth.

    Generates the Pentameter 2 scenario, ingests it as the agencies, routes it through the
    agreements exactly once, consumes it as every partner, and prints a per-partner table that must
    match what the agreements say. Exits 1 on any mismatch.
    """
    started = time.monotonic()
    settings = load_settings()
    runtime, identity, prefix = _setup(settings, secure)
    bootstrap = str(runtime.client["bootstrap.servers"])
    workdir = settings.home / "demo"
    mode = " (secure: SASL SCRAM, ACLs, one principal per component)" if secure else ""
    console.print(f"[bold]Pentameter demo[/] on Kafka at {bootstrap}{mode}, topics under [cyan]{prefix}*[/]")

    generated = generate("pentameter2", seed=seed, scale=scale, bad_rows=bad_rows, out=workdir / "scenario")
    truth = generated.ground_truth
    console.print(
        f"generated {sum(f['rows'] for f in truth['files'].values())} rows for "
        f"{len(truth['files'])} agencies ({bad_rows} invalid), "
        f"ground truth in {generated.paths['ground_truth.json']}"
    )
    expected = _expected(runtime, generated)

    with ExitStack() as stack:
        picture = stack.enter_context(_picture(runtime, identity, secure)) if dashboard else None
        if picture is not None:
            console.print(f"[bold]operation picture[/] (live dashboard): [cyan]{picture.url}[/]")
        ok = _run(runtime, identity, generated, expected, workdir, picture)
        if picture is not None and hold:
            console.print(f"dashboard kept open at [cyan]{picture.url}[/]; Ctrl-C to stop")
            _hold()
    console.print(f"finished in {time.monotonic() - started:.0f} s")
    _next_steps(runtime, prefix, workdir, secure)
    if not ok:
        console.print("[bold red]the demo does not match the ground truth[/]")
        raise typer.Exit(code=1)
    console.print("[bold green]every partner received exactly what its agreement allows[/]")


def _picture(runtime: Runtime, identity: Identities, secure: bool) -> OperationPicture:
    """The cell's analytics worker, connecting as the cell (its own principal on the secure cluster)."""
    if secure:  # the operator creates the worker's topics; the cell may only use them
        ensure_topics(AdminClient(runtime.client), worker_topics(runtime))
        cell = partner_principal(CELL)
        runtime = replace(runtime, settings=replace(runtime.settings, principal=cell)).as_principal(
            identity(cell)
        )
    return OperationPicture(runtime)


def _hold() -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping the dashboard")


def _run(
    runtime: Runtime,
    identity: Identities,
    generated: Generated,
    expected: Expected,
    workdir: Path,
    picture: OperationPicture | None,
) -> bool:
    """Ingest, route, consume and compare; True when everything matches the ground truth."""
    truth = generated.ground_truth
    stop = threading.Event()
    router = runtime.as_principal(identity(ROUTER_PRINCIPAL)).router(runtime.router_settings())
    stats_box: list[RouterStats] = []
    thread = threading.Thread(target=lambda: stats_box.append(router.run(stop)), name="router", daemon=True)
    thread.start()

    published, rejected = _ingest_all(runtime, generated, workdir, identity)
    [sample_record] = [validate(r) for r in generated.good_records("nca.ukhtc.jsonl")[:1]]
    as_agency = runtime.as_principal(identity(agency_principal(HOSTILE_AGENCY)))
    hostile = inject_hostile(as_agency, HOSTILE_AGENCY, "police.metropolitan", sample_record)
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

    received, opened, refused = _consume_partners(runtime, identity)
    ledger = _ledger(runtime)
    dead = _dead_letters(runtime)
    ok = _report(runtime, expected, received, opened, refused, ledger)
    ok &= _report_inputs(truth, published, rejected, hostile, dead, expected)
    ok &= ledger.ok
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in ledger.scrubbed_kinds.most_common())
    console.print(f"rule 11: spans scrubbed from what partners received, by kind: {kinds or 'none'}")
    console.print(
        f"audit ledger: {ledger.entries} entries, "
        + ("[green]verified[/]" if ledger.ok else "[red]NOT verified[/]")
    )
    if picture is not None:
        console.print("waiting for the dashboard's figures to settle")
        ok &= _report_picture(picture.checks(generated, CellView.of(expected.cell_records, tally)))
    return ok


def _report_picture(checks: list[Check]) -> bool:
    table = Table(title=f"Operation picture: the dashboard against the ground truth in {CELL}'s view")
    for column in ("figure", "dashboard", "expected", "match"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for check in checks:
        table.add_row(
            check.name, f"{check.found:,}", f"{check.expected:,}", "[green]✓[/]" if check.ok else "[red]✗[/]"
        )
    console.print(table)
    return all(check.ok for check in checks)


def _report(
    runtime: Runtime,
    expected: Expected,
    received: Counter[str],
    opened: Counter[str],
    refused: Counter[str],
    ledger: Ledger,
) -> bool:
    table = Table(title="What each partner received")
    for column in ("partner", "kind", "records", "expected", "events withheld", "fields withheld",
                   "spans scrubbed", "fields decrypted", "refused", "match"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("partner", "kind") else "right")
    ok = True
    partners = runtime.engine.registry.partners
    for partner in runtime.partner_topics:
        match = (
            received[partner] == expected.records[partner]
            and ledger.withheld[partner] == expected.fields_withheld[partner]
            and ledger.scrubbed[partner] == expected.scrubbed[partner]
            and refused[partner] == 0
        )
        ok &= match
        table.add_row(
            partner,
            str(partners[partner].kind.value),
            str(received[partner]),
            str(expected.records[partner]),
            str(expected.denied[partner]),
            str(ledger.withheld[partner]),
            str(ledger.scrubbed[partner]),
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


def _next_steps(runtime: Runtime, prefix: str, workdir: Path, secure: bool) -> None:
    env = f"PENTAMETER_TOPIC_PREFIX={prefix}"
    partner_env = env
    if secure:
        partner_env += f" PENTAMETER_PRINCIPAL={partner_principal('ngo.poppy')}"
        env += f" PENTAMETER_PRINCIPAL={OPERATOR_PRINCIPAL}"
    console.print("[bold]where to look next[/]")
    console.print(f"  {partner_env} pentameter partner consume --partner ngo.poppy | head -3  # its view")
    console.print(f"  {env} pentameter audit verify                                  # check the ledger")
    console.print(f"  {env} pentameter audit trace <event_id>                        # one event's path")
    console.print(f"  {workdir}/scenario/ground_truth.json, {workdir}/rejects/         # inputs and rejects")
    console.print("  pentameter policy matrix                                       # who gets which field")


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
