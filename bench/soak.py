"""`pentameter bench soak`: does the router hold steady for minutes on end?

A router worker runs as its own process (``pentameter router run``, see
:mod:`bench.router_process`) in a fresh topic namespace, while this process publishes the
route benchmark's realistic events (every agency, signed) at a steady rate below the router's
capacity. Every few seconds the router's resident memory is read from ``/proc/<pid>/status``. A
read_committed partner consumer on the busiest partner topic times each event from publish to
arrival, which gives latency percentiles at no extra cost.

Reported: resident memory at the start (after warm-up), the end and the peak; growth per minute
(least-squares slope, so one garbage-collection step does not decide it) over the whole run and
over its second half, once caches and client buffers have filled, which is what a leak shows in; events
published, routed and delivered; p50/p99 latency. A leak shows as a steady slope; a router that
falls behind shows as a latency that grows with the run and a long drain.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from bench.route import (
    DRAIN_TIMEOUT,
    PartnerWatch,
    Publishers,
    _drop_namespace,
    _percentile,
    bench_runtime,
    event_pool,
    machine,
    warm_up,
)
from bench.router_process import RouterProcess, wait_until_assigned
from infra.connection import bootstrap_servers

DEFAULT_MINUTES = 10.0
DEFAULT_RATE = 200
"""Events per second: below what one router sustains on an idle 2-core machine (about 950/s in
`bench route`), so memory, not backlog, is what changes over the run. On a busy machine the router
may still fall behind (a backlog fills client buffers and latency grows with the run); the result
says so ("kept up: no"), and a lower --rate measures memory again."""
DEFAULT_SAMPLE_SECONDS = 5.0
MIB = 1024 * 1024

OnProgress = Callable[[float, str], None]
"""Called with the fraction done and a short status line."""


def _slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS (bytes) over time (seconds), in bytes per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_r = sum(r for _, r in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (r - mean_r) for t, r in samples)
    return 60 * cov / var


def run_soak(
    bootstrap: str,
    minutes: float = DEFAULT_MINUTES,
    rate: int = DEFAULT_RATE,
    sample_seconds: float = DEFAULT_SAMPLE_SECONDS,
    on_progress: OnProgress | None = None,
) -> dict[str, Any]:
    """Publish at ``rate`` for ``minutes`` through a router process; sample its memory; see the module."""
    seconds = minutes * 60
    runtime = bench_runtime(bootstrap)
    group = runtime.router_settings().group_id
    groups = [group, f"{group}-soak-partner"]
    workdir = Path(tempfile.mkdtemp(prefix="pentameter-soak-"))
    router: RouterProcess | None = None
    watch: PartnerWatch | None = None
    publishers = Publishers(runtime)
    samples: list[tuple[float, int]] = []
    sent: dict[str, float] = {}
    expected: set[str] = set()
    published = 0

    def note(fraction: float, text: str) -> None:
        if on_progress is not None:
            on_progress(fraction, text)

    try:
        pool = event_pool(runtime)
        reach = Counter(p for source in pool for p in source.partners)
        partner = reach.most_common(1)[0][0]
        watch = PartnerWatch(runtime, runtime.partner_topics[partner], groups[1])
        router = RouterProcess(runtime, 0, workdir)
        note(0.0, "starting the router process")
        wait_until_assigned([router])
        warm_up(publishers, pool, watch, partner)
        started = time.perf_counter()
        next_sample = started
        i = 0
        while True:
            now = time.perf_counter()
            if now >= next_sample:
                samples.append((now - started, router.rss_bytes()))
                next_sample += sample_seconds
                note(
                    min(1.0, (now - started) / seconds),
                    f"{published:,} events, {samples[-1][1] / MIB:.0f} MiB",
                )
            if now - started >= seconds:
                break
            due = started + i / rate
            if now < due:
                publishers.poll()
                time.sleep(min(due - now, 0.002))
                continue
            source = pool[i % len(pool)]
            record = copy.deepcopy(source.record)
            event_id = str(uuid.uuid4())
            record["envelope"]["event_id"] = event_id
            if partner in source.partners:
                expected.add(event_id)
                sent[event_id] = time.perf_counter()
            publishers.publish(source.agency, record)
            published += 1
            i += 1
        publishers.poll()
        publish_seconds = time.perf_counter() - started
        publishers.close()
        note(1.0, "draining")
        drained = watch.wait_for(expected, DRAIN_TIMEOUT)
        samples.append((time.perf_counter() - started, router.rss_bytes()))
        router.stop()
        stats = router.stats()
    finally:
        try:
            publishers.close()
        finally:
            if router is not None:
                router.close()
            if watch is not None:
                watch.stop()
            _drop_namespace(runtime, groups)
            shutil.rmtree(workdir, ignore_errors=True)
    assert watch is not None
    arrivals = {i: watch.seen[i] for i in expected if i in watch.seen}
    latencies = sorted(1000 * (arrivals[i] - sent[i]) for i in arrivals)
    rss = [r for _, r in samples if r > 0]
    return {
        "machine": machine(),
        "topic_prefix": runtime.settings.topic_prefix,
        "minutes": round(publish_seconds / 60, 2),
        "rate": rate,
        "sample_seconds": sample_seconds,
        "published": published,
        "achieved_rate": round(published / publish_seconds, 1) if publish_seconds > 0 else 0.0,
        "router_consumed": stats.consumed if stats else None,
        "router_delivered": stats.delivered if stats else None,
        "router_dead_letters": stats.dead_letters if stats else None,
        "router_transactions": stats.transactions if stats else None,
        "router_aborts": stats.aborts if stats else None,
        "partner": partner,
        "expected_at_partner": len(expected),
        "arrived_at_partner": len(arrivals),
        "drained": drained,
        "rss_start_mib": round(rss[0] / MIB, 1) if rss else 0.0,
        "rss_end_mib": round(rss[-1] / MIB, 1) if rss else 0.0,
        "rss_peak_mib": round(max(rss) / MIB, 1) if rss else 0.0,
        "rss_growth_mib_per_minute": round(_slope_per_minute(samples) / MIB, 3),
        "rss_growth_second_half_mib_per_minute": round(
            _slope_per_minute([(t, r) for t, r in samples if t >= publish_seconds / 2]) / MIB, 3
        ),
        "rss_samples": [(round(t, 1), round(r / MIB, 1)) for t, r in samples],
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
    }


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def soak_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(figure, value) pairs for a table or a document."""
    return [
        ("duration", f"{result['minutes']:.2f} min at {result['rate']:,} events/s"),
        ("events published", f"{result['published']:,} ({result['achieved_rate']:,.0f}/s achieved)"),
        ("events read by the router (re-reads count)", _count(result["router_consumed"])),
        (
            "partner records delivered",
            f"{result['router_delivered']:,}" if result["router_delivered"] is not None else "?",
        ),
        (
            "router RSS start / end / peak",
            f"{result['rss_start_mib']} / {result['rss_end_mib']} / {result['rss_peak_mib']} MiB",
        ),
        ("RSS growth, whole run (least squares)", f"{result['rss_growth_mib_per_minute']:+.3f} MiB/min"),
        (
            "RSS growth, second half (least squares)",
            f"{result['rss_growth_second_half_mib_per_minute']:+.3f} MiB/min",
        ),
        (
            f"latency to {result['partner']} p50 / p99",
            f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms ({result['arrived_at_partner']:,} events)",
        ),
        (
            "kept up (every event at the partner by 30 s after the last publish)",
            "yes" if result["drained"] else "no",
        ),
    ]


def soak_command(
    minutes: float = typer.Option(DEFAULT_MINUTES, "--minutes", min=0.1, help="How long to publish."),
    rate: int = typer.Option(DEFAULT_RATE, "--rate", min=1, help="Steady publish rate, events per second."),
    sample_seconds: float = typer.Option(
        DEFAULT_SAMPLE_SECONDS, "--sample-seconds", min=0.5, help="How often to read the router's memory."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (with every RSS sample)."),
) -> None:
    """Soak the router: publish at a steady rate for minutes while a router process routes, and watch
    its resident memory (start, end, peak, growth per minute) and end-to-end latency.

    Runs against the real broker in a fresh topic namespace that is deleted afterwards.
    """
    servers = bootstrap_servers()
    err = Console(stderr=True)
    with Progress(
        TextColumn("soak"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=1.0)
        result = run_soak(
            servers,
            minutes,
            rate,
            sample_seconds,
            on_progress=lambda done, text: progress.update(task, completed=done, description=text),
        )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(
        title=f"router soak: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for row in soak_rows(result):
        table.add_row(*row)
    Console().print(table)
