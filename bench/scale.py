"""`pentameter bench scale`: one router process against two, on the same partitioned input.

For each configuration a fresh topic namespace is made and N router workers are started as their
own processes (``pentameter router run --worker 0`` and ``--worker 1``, one consumer group, so the
ingress partitions are split between them). Once every worker holds partitions, the same number of
the route benchmark's realistic events is published (every agency, each topic 3 partitions); the
publisher is faster than the routers, so they always have a backlog. Throughput is events routed
over the time from the first publish to the last audit record the routers committed (the audit
record's timestamp, set by the router on this machine's clock), so process start-up and group
joins are not counted. Once the group
has committed every ingress partition to its end, the workers are stopped (SIGTERM: each finishes
its batch) and print what they routed; the audit topic is read once the last commit's markers have
landed on it (``wait_until_settled``), or a reader would stop short of the final transaction.

On a 2-core machine the two workers share the cores with the broker and the publisher, so the
ratio shows what a second process buys here, not what it would on a machine with cores to spare.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.route import (
    Publishers,
    _drop_namespace,
    bench_runtime,
    cycled,
    event_pool,
    machine,
)
from bench.router_process import RouterProcess, wait_until_assigned, wait_until_committed
from consumers.topic_reader import read_topic, wait_until_settled
from infra.connection import bootstrap_servers
from infra.topics import AUDIT_TOPIC

DEFAULT_EVENTS = 20_000


def run_configuration(
    bootstrap: str, workers: int, events: int, on_progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Route ``events`` with ``workers`` router processes in a fresh namespace; their throughput."""
    runtime = bench_runtime(bootstrap)
    group = runtime.router_settings().group_id
    audit = runtime.topic(AUDIT_TOPIC)
    workdir = Path(tempfile.mkdtemp(prefix=f"pentameter-scale-{workers}-"))
    processes: list[RouterProcess] = []

    def note(text: str) -> None:
        if on_progress is not None:
            on_progress(f"{workers} worker(s): {text}")

    try:
        pool = event_pool(runtime)
        workload = cycled(pool, events)
        note("starting")
        processes = [RouterProcess(runtime, w, workdir) for w in range(workers)]
        joined = wait_until_assigned(processes, runtime, group)
        note("publishing")
        publishers = Publishers(runtime)
        first_publish_ms = time.time() * 1000  # the routers are idle until now, then never again
        try:
            for i, (source, record) in enumerate(workload):
                publishers.publish(source.agency, record)
                if i % 256 == 0:
                    publishers.poll()
        finally:
            publishers.close()
        note("routing")
        wait_until_committed(runtime, group, processes, timeout=max(300.0, events / 50))
        for process in processes:
            process.stop()
        stats = [p.stats() for p in processes]
        wait_until_settled(runtime.client, audit)  # the last commit's markers may still be on their way
        timestamps = [r.timestamp_ms for r in read_topic(runtime.client, audit)]
    finally:
        for process in processes:
            process.close()
        _drop_namespace(runtime, [group])
        shutil.rmtree(workdir, ignore_errors=True)
    missing = [p.worker for p, s in zip(processes, stats, strict=True) if s is None]
    if missing:
        raise RuntimeError(f"router worker(s) {missing} did not report their figures")
    if not timestamps:
        raise RuntimeError(f"the routers wrote nothing committed to {audit}")
    consumed = [s.consumed for s in stats if s is not None]
    seconds = (max(timestamps) - first_publish_ms) / 1000
    return {
        "workers": workers,
        "events": events,
        "consumed": sum(consumed),
        "consumed_by_worker": consumed,
        "delivered": sum(s.delivered for s in stats if s is not None),
        "dead_letters": sum(s.dead_letters for s in stats if s is not None),
        "aborts": sum(s.aborts for s in stats if s is not None),
        "seconds": round(seconds, 3),
        "events_per_second": round(sum(consumed) / seconds, 1) if seconds > 0 else 0.0,
        "join_seconds": round(joined, 2),
    }


def run_scale(
    bootstrap: str, events: int = DEFAULT_EVENTS, on_progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """One worker, then two, over the same number of events; the ratio of their throughputs."""
    one = run_configuration(bootstrap, 1, events, on_progress)
    two = run_configuration(bootstrap, 2, events, on_progress)
    ratio = two["events_per_second"] / one["events_per_second"] if one["events_per_second"] else 0.0
    return {"machine": machine(), "events": events, "one": one, "two": two, "ratio": round(ratio, 3)}


def scale_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, one worker, two workers) for a table or a document."""
    one, two = result["one"], result["two"]
    return [
        ("events routed", f"{one['consumed']:,}", f"{two['consumed']:,}"),
        (
            "by worker",
            ", ".join(f"{c:,}" for c in one["consumed_by_worker"]),
            ", ".join(f"{c:,}" for c in two["consumed_by_worker"]),
        ),
        ("seconds (first publish to last commit)", f"{one['seconds']:.1f}", f"{two['seconds']:.1f}"),
        ("events/s", f"{one['events_per_second']:,.0f}", f"{two['events_per_second']:,.0f}"),
        ("partner records", f"{one['delivered']:,}", f"{two['delivered']:,}"),
        (
            "dead letters / aborts",
            f"{one['dead_letters']} / {one['aborts']}",
            f"{two['dead_letters']} / {two['aborts']}",
        ),
        ("two / one", "", f"{result['ratio']:.2f}x"),
    ]


def scale_command(
    events: int = typer.Option(
        DEFAULT_EVENTS, "--events", min=100, help="Events routed in each configuration."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Compare one router process with two (`router run --worker 0/1`) on the same partitioned input:
    throughput of each and their ratio.

    Each configuration runs against the real broker in a fresh topic namespace deleted afterwards.
    """
    servers = bootstrap_servers()
    with Progress(
        TextColumn("scale"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)
        result = run_scale(servers, events, lambda text: progress.update(task, description=text))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"router scale-out: {events:,} events, {result['machine']['cpus']} CPUs")
    table.add_column("")
    table.add_column("1 worker", justify="right")
    table.add_column("2 workers", justify="right")
    for row in scale_rows(result):
        table.add_row(*row)
    Console().print(table)
