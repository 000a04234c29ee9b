"""Publish benchmark: how many IntelligenceReports one Python thread validates, signs, encodes and
produces per second against a real broker.

Each stage is timed on its own over the same records (so their shares show where the time goes),
then the whole path is timed through :class:`~producers.publisher.AgencyPublisher` (the figure
that matters). Records are the generator's Pentameter 2 intelligence reports (realistic sizes
and shapes, with entities, grading and conditions), re-addressed to one agency. The topic is
created for the run and deleted afterwards.

Stages:

* validate - :func:`producers.checks.check_event` (schema conversion, domain rules, origin);
* encode   - single-object Avro encoding (:class:`schemas.wire.Codec`);
* sign     - provenance sealing of batches (:meth:`schemas.provenance.Signer.seal`);
* produce  - handing encoded, signed events to librdkafka with a delivery callback each, as the
  publisher does: the cost on the publishing thread.

Separately, ``broker`` times from the first produce to the last acknowledgement (``acks=all``,
idempotent): the rate the broker absorbs, which librdkafka's own threads overlap with the work
above in the end-to-end run.
"""

from __future__ import annotations

import copy
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import typer
from confluent_kafka import Producer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table

from clikit.output import JSON_OPTION, print_json
from infra.connection import bootstrap_servers
from producers import pentameter2
from producers.checks import check_event
from producers.publisher import DEFAULT_BATCH_SIZE, AgencyPublisher, publisher_config
from producers.topics import delete_topic, ensure_topic
from schemas.catalogue import default_catalogue
from schemas.provenance import Signer
from schemas.wire import Codec

BENCH_AGENCY = "police.gloucestershire"
DEFAULT_EVENTS = 20_000
TARGET_RATE = 20_000
"""Events per second the publish path should sustain on one core."""
console = Console(stderr=True, soft_wrap=True)
out = Console()


@dataclass(frozen=True)
class Stage:
    """One timed stage: how many events it handled in how many seconds."""

    name: str
    events: int
    seconds: float
    cpu_seconds: float
    """CPU time of the publishing thread (librdkafka's own threads not included)."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    @property
    def micros(self) -> float:
        """Microseconds per event."""
        return 1e6 * self.seconds / self.events if self.events else 0.0


@dataclass(frozen=True)
class BenchResult:
    """Stage timings, the end-to-end figure, and what was measured."""

    stages: tuple[Stage, ...]
    """validate, encode, sign, produce: the work on the publishing thread, each timed alone."""
    broker: Stage
    """From the first produce to the last acknowledgement: the broker's side of the produce stage."""
    end_to_end: Stage
    batch_size: int
    mean_value_bytes: float
    bootstrap: str
    pinned_cpu: int | None

    def share(self, stage: Stage) -> float:
        """The stage's share of the summed per-event cost of all stages."""
        total = sum(s.micros for s in self.stages)
        return stage.micros / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "event_type": "IntelligenceReport",
            "batch_size": self.batch_size,
            "mean_value_bytes": round(self.mean_value_bytes, 1),
            "bootstrap": self.bootstrap,
            "pinned_cpu": self.pinned_cpu,
            "target_events_per_second": TARGET_RATE,
            "stages": {
                s.name: {
                    "events": s.events,
                    "seconds": round(s.seconds, 4),
                    "events_per_second": round(s.rate, 1),
                    "microseconds_per_event": round(s.micros, 2),
                    "share": round(self.share(s), 4),
                }
                for s in self.stages
            },
            "broker_acknowledged": {
                "events": self.broker.events,
                "seconds": round(self.broker.seconds, 4),
                "events_per_second": round(self.broker.rate, 1),
            },
            "end_to_end": {
                "events": self.end_to_end.events,
                "seconds": round(self.end_to_end.seconds, 4),
                "events_per_second": round(self.end_to_end.rate, 1),
                "microseconds_per_event": round(self.end_to_end.micros, 2),
                "thread_cpu_seconds": round(self.end_to_end.cpu_seconds, 4),
                "meets_target": self.end_to_end.rate >= TARGET_RATE,
            },
        }


def report_pool(agency: str = BENCH_AGENCY, seed: int = 2007) -> list[dict[str, Any]]:
    """The generator's intelligence reports, re-addressed to ``agency`` (JSON form)."""
    scenario = pentameter2.build(seed, 1.0)
    pool = []
    for records in scenario.records.values():
        for record in records:
            if record["envelope"]["event_type"] == "IntelligenceReport":
                copied = copy.deepcopy(record)
                copied["envelope"]["origin_agency"] = agency
                pool.append(copied)
    return pool


class _Budget:
    """Stops a stage after ``events`` events or ``seconds`` seconds, whichever comes first."""

    def __init__(self, events: int | None, seconds: float | None) -> None:
        self.events = events
        self.seconds = seconds

    def indexes(self) -> Iterator[int]:
        limit = self.events
        deadline = None if self.seconds is None else time.perf_counter() + self.seconds
        index = 0
        while limit is None or index < limit:
            if deadline is not None and index % 256 == 0 and time.perf_counter() >= deadline:
                return
            yield index
            index += 1


def _timed(name: str, body: Callable[[], int]) -> Stage:
    wall, cpu = time.perf_counter(), time.thread_time()
    count = body()
    return Stage(name, count, time.perf_counter() - wall, time.thread_time() - cpu)


def run(
    bootstrap: str,
    *,
    events: int | None = DEFAULT_EVENTS,
    seconds: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    pin_cpu: int | None = None,
    pool: list[dict[str, Any]] | None = None,
) -> BenchResult:
    """Run every stage and the end-to-end publish against the broker at ``bootstrap``."""
    if events is None and seconds is None:
        events = DEFAULT_EVENTS
    if pin_cpu is not None:  # before any client thread exists, so librdkafka's threads inherit it
        os.sched_setaffinity(0, {pin_cpu})
    records = pool or report_pool()
    budget = _Budget(events, seconds)
    catalogue = default_catalogue()
    codec = Codec(catalogue)
    entry = catalogue.get("IntelligenceReport")
    signer = Signer(BENCH_AGENCY, Ed25519PrivateKey.generate())
    topic = f"pentameter.bench.{uuid.uuid4().hex[:10]}"
    ensure_topic({"bootstrap.servers": bootstrap}, topic)
    try:
        converted: list[dict[str, Any]] = []
        values: list[bytes] = []
        keys: list[bytes] = []
        headers: list[Any] = []

        def validate() -> int:
            # Each record is let go as a publisher lets it go. Keeping 20,000 of them alive here
            # made every garbage collection of the stage walk them all, and doubled its time.
            count = 0
            for i in budget.indexes():
                record, _ = check_event(records[i % len(records)], BENCH_AGENCY, catalogue=catalogue)
                assert record is not None
                count += 1
            return count

        def encode() -> int:
            for record in converted:
                values.append(codec.encode(entry, record))
                envelope = record["envelope"]
                keys.append((envelope["case_id"] or str(envelope["event_id"])).encode())
            return len(values)

        def sign() -> int:
            for start in range(0, len(values), batch_size):
                headers.extend(
                    signer.seal(
                        list(
                            zip(
                                keys[start : start + batch_size],
                                values[start : start + batch_size],
                                strict=True,
                            )
                        )
                    )
                )
            return len(headers)

        producer = Producer(publisher_config(BENCH_AGENCY, bootstrap))
        producer.produce(topic, b"warm-up", b"warm-up")  # connect and get a producer id untimed
        producer.flush(30)
        failures: list[str] = []

        def delivered(number: int, error: Any, message: Any) -> None:
            if error is not None:
                failures.append(f"{number}: {error}")

        def produce() -> int:
            for i, (key, value, head) in enumerate(zip(keys, values, headers, strict=True)):
                while True:
                    try:
                        producer.produce(topic, value, key, on_delivery=partial(delivered, i), headers=head)
                        break
                    except BufferError:
                        producer.poll(0.05)
                if i % batch_size == 0:
                    producer.poll(0)
            return len(values)

        def acknowledged() -> int:
            producer.flush()
            if failures:
                raise RuntimeError(f"{len(failures)} benchmark events not delivered: {failures[:3]}")
            return len(values)

        validating = _timed("validate", validate)
        for i in range(validating.events):  # the validated records again, untimed, for the next stages
            record, _ = check_event(records[i % len(records)], BENCH_AGENCY, catalogue=catalogue)
            assert record is not None
            converted.append(record)
        later = (("encode", encode), ("sign", sign), ("produce", produce))
        stages = (validating, *(_timed(name, body) for name, body in later))
        waited = _timed("acknowledged", acknowledged)
        broker = Stage(
            "broker",
            len(values),
            stages[-1].seconds + waited.seconds,
            stages[-1].cpu_seconds + waited.cpu_seconds,
        )
        mean_bytes = sum(len(v) for v in values) / len(values) if values else 0.0
        converted.clear()
        values.clear()
        headers.clear()

        publisher = AgencyPublisher(
            BENCH_AGENCY,
            topic=topic,
            bootstrap_servers=bootstrap,
            batch_size=batch_size,
            signer=signer,
            catalogue=catalogue,
        )
        try:
            publisher.publish(records[0])  # connect and get a producer id untimed
            publisher.flush(30)

            def end_to_end() -> int:
                count = 0
                for i in budget.indexes():
                    publisher.publish(records[i % len(records)])
                    count += 1
                publisher.flush()
                return count

            total = _timed("end_to_end", end_to_end)
        finally:
            publisher.close()
    finally:
        delete_topic({"bootstrap.servers": bootstrap}, topic)
    return BenchResult(stages, broker, total, batch_size, mean_bytes, bootstrap, pin_cpu)


def publish_command(
    events: int | None = typer.Option(
        None,
        "--events",
        min=1,
        help=f"Events per stage (default: {DEFAULT_EVENTS:,} unless --seconds).",
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
    result = run(servers, events=events, seconds=seconds, batch_size=batch_size, pin_cpu=pin_cpu)
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
    verdict = "[green]meets[/]" if e2e.rate >= TARGET_RATE else "[red]below[/]"
    table.add_row("end to end", f"{e2e.events:,}", f"{e2e.rate:,.0f}", f"{e2e.micros:.1f}", "", style="bold")
    out.print(table)
    console.print(f"end to end {verdict} the target of {TARGET_RATE:,} events/s")
