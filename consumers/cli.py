"""`pentameter router ...` and `pentameter partner ...`: run the router, consume as a partner."""

from __future__ import annotations

import dataclasses
import signal
import threading

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console

from clikit.group import command_group
from clikit.output import print_json
from consumers.heap import settle_after_startup
from consumers.metrics import METRICS_BIND_VARIABLE, RouterMetrics, configure_logging
from consumers.partner import PartnerReader
from consumers.partner_client import reader_with_keys
from consumers.router import RouterStats
from consumers.runtime import Runtime, build_runtime
from infra.topics import ensure_topics

router_app = command_group(
    help="The policy-enforcing router: agency ingress topics in, each partner's projection out, "
    "exactly once.",
)
console = Console(stderr=True)


def prepare(runtime: Runtime) -> int:
    """Create missing topics and publish the catalogue (events and projections) for partners."""
    created = ensure_topics(AdminClient(runtime.client), runtime.topic_specs())
    runtime.publish_governance()
    return len(created)


@router_app.command("run")
def run(
    worker: int = typer.Option(
        0, help="Worker slot; its transactional id is stable, so a restart fences the old one."
    ),
    batch: int = typer.Option(
        2000, help="At most this many events per transaction (records already waiting are taken at once)."
    ),
    batch_ms: int = typer.Option(100, help="When no record waits, wait this many milliseconds for one."),
    linger_ms: int = typer.Option(
        2, help="After such a wait, keep the batch open this many milliseconds for records arriving with it."
    ),
    idle_exit: float = typer.Option(
        0.0, help="Stop after this many seconds without an ingress record (0: never; run until Ctrl-C)."
    ),
    max_events: int = typer.Option(0, help="Stop after this many events (0: no limit)."),
    stall_exit: float = typer.Option(
        180.0,
        help="Exit (status 1, stacks on stderr) when one batch's transaction is stuck this many seconds "
        "(its offsets step: 45 s at most), so a supervisor restarts the worker; the batch was not "
        "committed, so nothing is lost (0: never).",
    ),
    recent_events: int = typer.Option(
        10_000,
        help="Routed event ids remembered per ingress partition: a later copy of one is dead-lettered "
        "as duplicate_event instead of delivered again (0: off).",
    ),
    metrics_port: int = typer.Option(
        0,
        envvar="PENTAMETER_METRICS_PORT",
        help="Serve Prometheus metrics on BIND:PORT/metrics (0: off).",
    ),
    metrics_bind: str = typer.Option(
        "127.0.0.1",
        envvar=METRICS_BIND_VARIABLE,
        help="Address the metrics server listens on (0.0.0.0: every interface).",
    ),
    log_json: bool = typer.Option(
        False,
        "--log-json",
        envvar="PENTAMETER_LOG_JSON",
        help="Log one JSON object per line (event ids, never values).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="When it stops, print its totals as one JSON document on stdout."
    ),
) -> None:
    """Route events from every agency ingress topic to the partner topics, with an audit entry each.

    Run more workers with different --worker slots to spread the ingress partitions; rebalances
    lose and duplicate nothing. Invalid input goes to the dead-letter topic with its reason.
    """
    configure_logging(log_json)
    runtime = build_runtime()
    metrics = RouterMetrics()
    if metrics_port:
        metrics.serve(metrics_port, metrics_bind)
    created = prepare(runtime)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    router = runtime.router(
        runtime.router_settings(
            worker=worker,
            batch_max_events=batch,
            batch_max_ms=batch_ms,
            batch_linger_ms=linger_ms,
            stall_exit_seconds=stall_exit or None,
            recent_events=recent_events,
        )
    )
    console.print(
        f"router worker {worker}: {len(runtime.ingress_topics)} ingress topics, "
        f"{len(runtime.partner_topics)} partners, {created} topic(s) created"
    )
    settle_after_startup()
    stats = router.run(stop, max_events=max_events or None, idle_timeout=idle_exit or None)
    if as_json:
        print_json(dataclasses.asdict(stats))
    else:
        _print_stats(stats)


def _print_stats(stats: RouterStats) -> None:
    console.print(
        f"consumed {stats.consumed}, delivered {stats.delivered} partner records, "
        f"{stats.dead_letters} dead letters, {stats.transactions} transactions, {stats.aborts} aborts"
    )


def partner_reader(runtime: Runtime, partner: str) -> PartnerReader:
    """An operator's in-process reader of ``partner``'s topic (the demo, the analytics worker):
    the partner's keys and the router's public keys from this deployment's key store."""
    return reader_with_keys(partner, runtime.catalogue, runtime.keys)
