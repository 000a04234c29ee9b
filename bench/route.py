"""`pentameter bench route`: what the policy-enforcing router costs over a bare Kafka pipeline.

One run, on one broker, in a fresh topic namespace (deleted afterwards), over realistic events:
the Pentameter 2 generator's good records at a small scale, from every agency, cycled (with fresh
event ids) to the requested count and published, signed, by each agency's
:class:`~producers.publisher.AgencyPublisher` before anything is timed. Then:

a. **pass-through**: a consume-transform-produce loop with the router's batching, client settings
   and transactions (offsets sent in the transaction), copying each ingress record's bytes to as
   many partner topics as the router delivers to on average, with no decoding, policy, signing or
   audit. It is the ceiling a Kafka-transactional router could reach on this machine.
b. **router**: the real router (:class:`~consumers.router.Router`, built as
   :meth:`~consumers.runtime.Runtime.router` builds it, baseline agreements, provenance checks on)
   over the same events in another consumer group. Its deliveries are checked against what the
   policy engine says the events must produce, so a lossy router cannot look fast.
c. **latency**: a router runs in a background thread while the agencies publish at a fixed rate;
   a read_committed partner consumer on the partner topic that receives the most events timestamps
   each event's arrival. Latency is from the publish call to that arrival (same process, same
   monotonic clock), so it includes the publisher's provenance batching, the router's batch and
   its transaction commit. Publisher, router and partner share this process (and its GIL), as
   they share the machine; ``drain_seconds`` (last arrival minus last publish) shows whether the
   router kept up: when the rate exceeds what it sustains, latency is mostly queueing and grows
   with ``latency_seconds``.

Throughput is timed from the first records a loop consumes to its last commit, so group joins
and idle waits are not counted.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import platform
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

import confluent_kafka
import typer
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.table import Table

from bench.stages import StageProfile, StageSampler
from consumers.batching import next_batch
from consumers.decisions import Decider, Outcome, RecentLike, Source
from consumers.heap import settle_after_startup, unsettle
from consumers.router import Router, RouterSettings, RouterStats, consumer_config, producer_config
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from infra.connection import bootstrap_servers
from infra.settings import load_settings
from infra.topics import GOVERNANCE_TOPIC, ensure_topics
from producers.agencies import ingress_topic
from producers.checks import check_event
from producers.generator import generate
from producers.publisher import DEFAULT_BATCH_SIZE, DEFAULT_LINGER_MS, AgencyPublisher
from schemas import native
from schemas.provenance import Signer
from schemas.wire import Codec

DEFAULT_EVENTS = 20_000
DEFAULT_RATE = 1_000
DEFAULT_LATENCY_SECONDS = 10.0
SCENARIO = "pentameter2"
SEED = 7
SCALE = 0.5
IDLE_TIMEOUT = 20.0
"""Seconds a throughput loop waits for input before giving up (the events are all there)."""
DRAIN_TIMEOUT = 30.0
"""Seconds the latency phase waits, after the last publish, for the partner to see every event."""

Record = dict[str, Any]


@dataclass(frozen=True)
class PoolEvent:
    """One generated event, and the partners the baseline agreements deliver it to."""

    agency: str
    record: Record
    partners: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    """One throughput loop: events consumed, partner records produced, in how long, and the CPU
    time this process spent meanwhile (every thread: Python and the Kafka client's; the broker
    runs in its own process), which a busy machine inflates less than wall time."""

    events: int
    records_out: int
    seconds: float
    transactions: int
    cpu_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "records_out": self.records_out,
            "seconds": round(self.seconds, 4),
            "transactions": self.transactions,
            "events_per_second": round(self.events / self.seconds, 1) if self.seconds > 0 else 0.0,
            "records_per_second": round(self.records_out / self.seconds, 1) if self.seconds > 0 else 0.0,
            "cpu_seconds": round(self.cpu_seconds, 4),
            "cpu_us_per_event": round(self.cpu_seconds / self.events * 1e6, 1) if self.events else 0.0,
        }


# -- workload ------------------------------------------------------------------------------------


def event_pool(runtime: Runtime, seed: int = SEED, scale: float = SCALE) -> list[PoolEvent]:
    """The generator's good records of every agency with an ingress topic, with their partners."""
    generated = generate(SCENARIO, seed=seed, scale=scale)
    agencies = set(runtime.ingress_topics.values())
    pool = []
    for file in sorted(generated.lines):
        agency = generated.agency_of(file)
        if agency not in agencies:
            continue
        for record in generated.good_records(file):
            converted, issues = check_event(record, agency, catalogue=runtime.catalogue)
            if converted is None:
                raise RuntimeError(f"generated record rejected: {issues}")
            routing = runtime.engine.route(converted["envelope"]["event_type"], copy.deepcopy(converted))
            pool.append(PoolEvent(agency, record, tuple(d.partner for d in routing.deliveries)))
    if not pool:
        raise RuntimeError("the generator gave no events for the registry's agencies")
    return pool


def cycled(pool: list[PoolEvent], count: int, start: int = 0) -> list[tuple[PoolEvent, Record]]:
    """``count`` events cycling through ``pool`` from ``start``, each a copy with a fresh event id."""
    events = []
    for i in range(start, start + count):
        source = pool[i % len(pool)]
        record = copy.deepcopy(source.record)
        record["envelope"]["event_id"] = str(uuid.uuid4())
        events.append((source, record))
    return events


def bench_runtime(bootstrap: str) -> Runtime:
    """A runtime with a fresh topic prefix, its topics created and the catalogue published."""
    settings = replace(
        load_settings(), topic_prefix=f"bench{uuid.uuid4().hex[:8]}.", bootstrap_servers=bootstrap
    )
    runtime = build_runtime(settings)
    ensure_topics(AdminClient(runtime.client), runtime.topic_specs())
    runtime.publish_governance()
    return runtime


def _drop_namespace(runtime: Runtime, groups: list[str]) -> None:
    """Delete the run's topics and consumer groups (best effort: a benchmark leaves nothing)."""
    admin = AdminClient(runtime.client)
    topics = sorted({spec.name for spec in runtime.topic_specs()} | {runtime.topic(GOVERNANCE_TOPIC)})
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        with contextlib.suppress(Exception):
            future.result(timeout=30)
    for future in admin.delete_consumer_groups(groups, request_timeout=30).values():
        with contextlib.suppress(Exception):
            future.result(timeout=30)


class Publishers:
    """One AgencyPublisher per agency, opened on first use; the caller drives their linger."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._open: dict[str, AgencyPublisher] = {}
        self._dirty: dict[str, float] = {}  # agency -> last publish, while a batch may linger

    def get(self, agency: str) -> AgencyPublisher:
        publisher = self._open.get(agency)
        if publisher is None:
            runtime = self._runtime
            publisher = self._open[agency] = AgencyPublisher(
                agency,
                topic=runtime.topic(ingress_topic(agency)),
                bootstrap_servers=str(runtime.client["bootstrap.servers"]),
                signer=Signer(agency, runtime.keys.signing_key(agency)),
                catalogue=runtime.catalogue,
                timer=False,  # one polling loop instead of a timer thread per agency
            )
        return publisher

    def publish(self, agency: str, record: Record) -> None:
        self.get(agency).publish(record)
        self._dirty[agency] = time.perf_counter()

    def poll(self) -> None:
        """Seal lingering batches (what each publisher's timer thread would do)."""
        now = time.perf_counter()
        for agency, last in list(self._dirty.items()):
            self._open[agency].poll(0)
            if now - last > 4 * DEFAULT_LINGER_MS / 1000:
                del self._dirty[agency]

    def close(self) -> None:
        errors = []
        for publisher in self._open.values():
            try:
                publisher.close(60)
            except Exception as exc:
                errors.append(exc)
        self._open.clear()
        if errors:
            raise errors[0]


def prepublish(runtime: Runtime, events: list[tuple[PoolEvent, Record]]) -> None:
    """Publish every event (untimed); raises DeliveryFailed unless all were acknowledged."""
    publishers = Publishers(runtime)
    try:
        for i, (source, record) in enumerate(events):
            publishers.publish(source.agency, record)
            if i % 256 == 0:
                publishers.poll()
    finally:
        publishers.close()


# -- (a) pass-through ----------------------------------------------------------------------------


def pass_through(
    runtime: Runtime, settings: RouterSettings, partner_topics: list[str], fan_out: float, events: int
) -> Phase:
    """Copy ``events`` ingress records to ``fan_out`` partner topics each, a transaction per batch."""
    consumer = Consumer(consumer_config(runtime.client, settings))
    producer = Producer(producer_config(runtime.client, settings))

    def produce(topic: str, message: Message) -> None:
        while True:
            try:
                producer.produce(topic, value=message.value(), key=message.key(), headers=message.headers())
                return
            except BufferError:
                producer.poll(0.05)

    producer.init_transactions(60)
    consumer.subscribe(sorted(runtime.ingress_topics))
    consumed = produced = transactions = turn = 0
    owed = 0.0
    first: float | None = None
    last_commit = last_input = time.perf_counter()
    cpu_first = cpu_last = time.process_time()
    try:
        while consumed < events:
            messages = next_batch(
                consumer,
                settings.batch_max_events,
                settings.batch_max_ms / 1000,
                settings.batch_linger_ms / 1000,
            )
            batch = [m for m in messages if m.error() is None]
            if not batch:
                if time.perf_counter() - last_input > IDLE_TIMEOUT:
                    break
                continue
            last_input = time.perf_counter()
            if first is None:
                first, cpu_first = last_input, time.process_time()
            producer.begin_transaction()
            positions: dict[tuple[str, int], int] = {}
            for message in batch:
                owed += fan_out
                while owed >= 1:  # the same number of partner records in total as the router
                    produce(partner_topics[turn % len(partner_topics)], message)
                    turn += 1
                    produced += 1
                    owed -= 1
                positions[(str(message.topic()), int(message.partition() or 0))] = (
                    int(message.offset() or 0) + 1
                )
            offsets = [TopicPartition(t, p, o) for (t, p), o in positions.items()]
            producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(60)
            transactions += 1
            consumed += len(batch)
            last_commit, cpu_last = time.perf_counter(), time.process_time()
    finally:
        consumer.close()
        producer.flush(10)
    return Phase(consumed, produced, last_commit - (first or last_commit), transactions, cpu_last - cpu_first)


# -- (b) the router ------------------------------------------------------------------------------


class _Clocked:
    """Passes decisions through, noting when the first one was asked for (the loop's real start)."""

    def __init__(self, decider: Decider) -> None:
        self._decider = decider
        self.first: float | None = None
        self.cpu_first = 0.0

    def decide(
        self,
        source: Source,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
        now_ms: int | None = None,
        recent: RecentLike | None = None,
    ) -> Outcome:
        if self.first is None:
            self.first, self.cpu_first = time.perf_counter(), time.process_time()
        return self._decider.decide(source, key, value, headers, now_ms, recent)


def make_router(
    runtime: Runtime, settings: RouterSettings, decider: Decider | _Clocked | None = None
) -> tuple[Router, list[tuple[float, float]]]:
    """A router built exactly as Runtime.router builds it, and the times (wall, CPU) of its commits."""
    commits: list[tuple[float, float]] = []

    def committed(stats: RouterStats) -> None:
        commits.append((time.perf_counter(), time.process_time()))

    signer = Signer(ROUTER_IDENTITY, runtime.keys.signing_key(ROUTER_IDENTITY))
    router = Router(
        runtime.client,
        sorted(runtime.ingress_topics),
        cast(Decider, decider or runtime.decider()),
        signer,
        settings,
        on_commit=committed,
    )
    return router, commits


def route(runtime: Runtime, settings: RouterSettings, events: int) -> tuple[Phase, RouterStats, StageProfile]:
    """Run the router over the pre-published events until it has consumed ``events``, sampling
    where its CPU goes (:mod:`bench.stages`)."""
    clocked = _Clocked(runtime.decider())
    router, commits = make_router(runtime, settings, clocked)
    with StageSampler() as sampler:
        stats = router.run(max_events=events, idle_timeout=IDLE_TIMEOUT)
    first = clocked.first or 0.0
    seconds = commits[-1][0] - first if commits else 0.0
    cpu = commits[-1][1] - clocked.cpu_first if commits else 0.0
    phase = Phase(stats.consumed, stats.delivered, seconds, stats.transactions, cpu)
    return phase, stats, sampler.profile


# -- (c) latency ---------------------------------------------------------------------------------


class PartnerWatch:
    """A read_committed partner consumer from the topic's current end, noting when each event arrives."""

    def __init__(self, runtime: Runtime, topic: str, group_id: str) -> None:
        self._codec = Codec(runtime.catalogue)
        self._consumer = Consumer(
            {
                **runtime.client,
                "group.id": group_id,
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "auto.offset.reset": "latest",
            }
        )
        metadata = self._consumer.list_topics(topic, timeout=30).topics[topic]
        start = []
        for partition in sorted(metadata.partitions):
            _, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            start.append(TopicPartition(topic, partition, high))
        self._consumer.assign(start)
        self.seen: dict[str, float] = {}
        self.duplicates = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-partner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                messages = self._consumer.consume(500, 0.05)
                arrived = time.perf_counter()
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            raise RuntimeError(f"partner consumer: {error}")
                        continue
                    _, record = self._codec.decode(message.value() or b"")
                    event_id = str(record.get("envelope", record)["event_id"])
                    if event_id in self.seen:
                        self.duplicates += 1
                    else:
                        self.seen[event_id] = arrived
        except BaseException as exc:
            self.error = exc
        finally:
            self._consumer.close()

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise self.error
            if ids.issubset(self.seen.keys()):
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error is not None:
            raise self.error


def warm_up(publishers: Publishers, pool: list[PoolEvent], watch: PartnerWatch, partner: str) -> None:
    """Untimed: one event per agency published and seen at ``partner``, so every agency's producer
    is connected and the router and partner are assigned before anything is timed."""
    agencies = sorted({p.agency for p in pool})
    warm = cycled([next(p for p in pool if p.agency == a) for a in agencies], len(agencies))
    for source, record in warm:
        publishers.publish(source.agency, record)
    for agency in agencies:
        publishers.get(agency).flush(60)
    warm_ids = {r["envelope"]["event_id"] for s, r in warm if partner in s.partners}
    if not watch.wait_for(warm_ids, 120):
        raise RuntimeError("the warm-up events did not reach the partner within 120 s")


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def latency(
    runtime: Runtime,
    settings: RouterSettings,
    pool: list[PoolEvent],
    partner: str,
    rate: int,
    seconds: float,
) -> dict[str, Any]:
    """Publish at ``rate`` for ``seconds`` while a router runs; time each event to ``partner``."""
    count = max(1, int(rate * seconds))
    timed_events = cycled(pool, count, start=len(pool) // 2)  # another part of the mix than (b) began
    watch = PartnerWatch(runtime, runtime.partner_topics[partner], f"{settings.group_id}-partner")
    router, _ = make_router(runtime, settings)
    stop = threading.Event()
    failure: list[BaseException] = []

    def run_router() -> None:
        try:
            router.run(stop=stop)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run_router, name="bench-router", daemon=True)
    thread.start()
    publishers = Publishers(runtime)
    sent: dict[str, float] = {}
    try:
        warm_up(publishers, pool, watch, partner)
        started = time.perf_counter()
        for i, (source, record) in enumerate(timed_events):
            due = started + i / rate
            while (now := time.perf_counter()) < due:
                publishers.poll()
                time.sleep(min(due - now, 0.001))
            sent[record["envelope"]["event_id"]] = time.perf_counter()
            publishers.publish(source.agency, record)
        publishers.poll()
        published_seconds = time.perf_counter() - started
        publishers.close()
        expected = {r["envelope"]["event_id"] for s, r in timed_events if partner in s.partners}
        watch.wait_for(expected, DRAIN_TIMEOUT)
    finally:
        with contextlib.suppress(Exception):
            publishers.close()
        stop.set()
        thread.join(60)
        watch.stop()
    if failure:
        raise failure[0]
    latencies = sorted(1000 * (watch.seen[i] - sent[i]) for i in expected if i in watch.seen)
    arrivals = [watch.seen[i] for i in expected if i in watch.seen]
    drain = max(arrivals) - (started + published_seconds) if arrivals else 0.0
    stats = router.stats
    transactions = max(stats.transactions, 1)
    return {
        "rate": rate,
        "seconds": seconds,
        "published": count,
        "achieved_rate": round(count / published_seconds, 1) if published_seconds > 0 else 0.0,
        "partner": partner,
        "topic": runtime.partner_topics[partner],
        "expected": len(expected),
        "samples": len(latencies),
        "missing": len(expected) - len(latencies),
        "duplicates": watch.duplicates,
        "router_consumed": stats.consumed,
        "router_delivered": stats.delivered,
        "router_dead_letters": stats.dead_letters,
        "router_transactions": stats.transactions,
        "router_mean_batch_events": round(stats.consumed / transactions, 1),
        "router_mean_transaction_ms": round(1000 * stats.commit_seconds / transactions, 2),
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "drain_seconds": round(max(drain, 0.0), 3),
    }


# -- the whole benchmark -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "confluent_kafka": str(confluent_kafka.__version__),
        "librdkafka": confluent_kafka.libversion()[0],
    }


def run_route_bench(
    bootstrap: str,
    events: int = DEFAULT_EVENTS,
    rate: int = DEFAULT_RATE,
    latency_seconds: float = DEFAULT_LATENCY_SECONDS,
) -> dict[str, Any]:
    """Measure (a) pass-through, (b) router throughput and (c) latency; see the module docstring."""
    runtime = bench_runtime(bootstrap)
    raw_settings = runtime.router_settings(group_id=runtime.topic("bench-pass-through"))
    router_settings = runtime.router_settings(group_id=runtime.topic("bench-router"))
    groups = [raw_settings.group_id, router_settings.group_id, f"{router_settings.group_id}-partner"]
    try:
        pool = event_pool(runtime)
        workload = cycled(pool, events)
        expected_deliveries = sum(len(source.partners) for source, _ in workload)
        mean_bytes = _mean_value_bytes(runtime, workload[:500])
        prepublish(runtime, workload)
        del workload

        engine_fan_out = expected_deliveries / events
        partner_topics = sorted(set(runtime.partner_topics.values()))
        gc_defaults = settle_after_startup()  # as `pentameter router run` sets its process
        try:
            raw = pass_through(runtime, raw_settings, partner_topics, engine_fan_out, events)
            routed, stats, stages = route(runtime, router_settings, events)
            fan_out = stats.delivered / stats.consumed if stats.consumed else 0.0

            reach = Counter(p for source in pool for p in source.partners)
            partner = reach.most_common(1)[0][0]
            timing = latency(runtime, router_settings, pool, partner, rate, latency_seconds)
        finally:
            unsettle(gc_defaults)
    finally:
        _drop_namespace(runtime, groups)

    raw_json, routed_json = raw.to_json(), routed.to_json()
    ratio = routed_json["events_per_second"] / raw_json["events_per_second"] if raw.seconds > 0 else 0.0
    raw_cpu = raw_json["cpu_us_per_event"]
    cpu_ratio = routed_json["cpu_us_per_event"] / raw_cpu if raw_cpu else 0.0
    return {
        "machine": machine(),
        "native_core": native.AVAILABLE,
        "bootstrap": bootstrap,
        "topic_prefix": runtime.settings.topic_prefix,
        "events": events,
        "workload": {
            "scenario": SCENARIO,
            "seed": SEED,
            "scale": SCALE,
            "distinct_records": len(pool),
            "agencies": len({p.agency for p in pool}),
            "mean_value_bytes": round(mean_bytes, 1),
        },
        "fan_out": round(fan_out, 4),
        "fan_out_expected": round(engine_fan_out, 4),
        "batch": {
            "router_batch_max_events": router_settings.batch_max_events,
            "router_batch_max_ms": router_settings.batch_max_ms,
            "router_batch_linger_ms": router_settings.batch_linger_ms,
            "transaction_timeout_ms": router_settings.transaction_timeout_ms,
            "producer_linger_ms": 5,
            "compression": "lz4",
            "publisher_batch_size": DEFAULT_BATCH_SIZE,
            "publisher_linger_ms": DEFAULT_LINGER_MS,
        },
        "pass_through": raw_json,
        "router": {
            **routed_json,
            "expected_deliveries": expected_deliveries,
            "lost": expected_deliveries - stats.delivered,
            "dead_letters": stats.dead_letters,
            "aborts": stats.aborts,
            "commit_seconds": round(stats.commit_seconds, 4),
            "by_partner": dict(sorted(stats.by_partner.items())),
        },
        "router_stages_us_per_event": {
            stage: round(us, 1) for stage, us in stages.per_event_us(stats.consumed).items()
        },
        "router_stage_samples": stages.samples,
        "router_vs_pass_through": round(ratio, 4),
        "router_cpu_vs_pass_through": round(cpu_ratio, 2),
        "latency": timing,
    }


def _mean_value_bytes(runtime: Runtime, sample: list[tuple[PoolEvent, Record]]) -> float:
    """Mean size of the ingress values (Avro single-object encoding, before signing headers)."""
    codec = Codec(runtime.catalogue)
    sizes = []
    for source, record in sample:
        converted, _ = check_event(record, source.agency, catalogue=runtime.catalogue)
        if converted is not None:
            sizes.append(len(codec.encode(converted["envelope"]["event_type"], converted)))
    return sum(sizes) / len(sizes) if sizes else 0.0


# -- command -------------------------------------------------------------------------------------


def _rows(result: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    raw, routed, timing = result["pass_through"], result["router"], result["latency"]
    yield "events/s in", f"{raw['events_per_second']:,.0f}", f"{routed['events_per_second']:,.0f}"
    yield "records/s out", f"{raw['records_per_second']:,.0f}", f"{routed['records_per_second']:,.0f}"
    cpu = "CPU us per event (this process)"
    yield cpu, f"{raw['cpu_us_per_event']:,.0f}", f"{routed['cpu_us_per_event']:,.0f}"
    yield "events", f"{raw['events']:,}", f"{routed['events']:,}"
    yield "records out", f"{raw['records_out']:,}", f"{routed['records_out']:,}"
    yield "transactions", f"{raw['transactions']:,}", f"{routed['transactions']:,}"
    yield "router / pass-through", "", f"{result['router_vs_pass_through']:.1%}"
    yield "router CPU per event / pass-through's", "", f"{result['router_cpu_vs_pass_through']:.1f}x"
    yield "fan-out", "", f"{result['fan_out']:.2f}"
    yield "lost / dead letters", "", f"{routed['lost']} / {routed['dead_letters']}"
    at = f"at {timing['rate']:,}/s, {timing['samples']:,} events to {timing['partner']}"
    yield f"latency p50 ({at})", "", f"{timing['p50_ms']:.1f} ms"
    yield "latency p95", "", f"{timing['p95_ms']:.1f} ms"
    yield "latency p99", "", f"{timing['p99_ms']:.1f} ms"
    yield "backlog drained after last publish", "", f"{timing['drain_seconds']:.2f} s"


def _stage_table(result: dict[str, Any]) -> Table:
    """Where the router's CPU went, per event and stage (sampled: bench.stages)."""
    stages: dict[str, float] = result["router_stages_us_per_event"]
    total = sum(stages.values()) or 1.0
    table = Table(
        title=f"router CPU by stage ({result['router_stage_samples']:,} samples of the router thread)"
    )
    table.add_column("stage")
    table.add_column("CPU us per event", justify="right")
    table.add_column("share", justify="right")
    for stage, us in stages.items():
        table.add_row(stage, f"{us:,.1f}", f"{us / total:.1%}")
    table.add_row("all", f"{total:,.1f}", "")
    return table


def bench_route(
    events: int = typer.Option(DEFAULT_EVENTS, "--events", min=1, help="Events to pre-publish and route."),
    rate: int = typer.Option(DEFAULT_RATE, "--rate", min=1, help="Publish rate (events/s) for latency."),
    latency_seconds: float = typer.Option(
        DEFAULT_LATENCY_SECONDS, "--latency-seconds", min=0.1, help="How long to publish for latency."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Measure the router against a bare transactional pass-through, and its end-to-end latency.

    Runs against the real broker in a fresh topic namespace that is deleted afterwards.
    """
    servers = bootstrap_servers()
    err = Console(stderr=True)
    if not as_json:
        err.print(f"[dim]benchmarking the router against {servers} ...[/]")
    result = run_route_bench(servers, events, rate, latency_seconds)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    m = result["machine"]
    core = "native core on" if result["native_core"] else "native core off"
    table = Table(
        title=f"router benchmark: {result['events']:,} events, {m['cpus']} CPUs, Python {m['python']}, {core}"
    )
    table.add_column("")
    table.add_column("pass-through (a)", justify="right")
    table.add_column("router (b)", justify="right")
    for row in _rows(result):
        table.add_row(*row)
    Console().print(table)
    Console().print(_stage_table(result))
    batch, workload = result["batch"], result["workload"]
    err.print(
        f"[dim]batches of the records waiting, up to {batch['router_batch_max_events']} "
        f"(else the first within {batch['router_batch_max_ms']} ms and those within "
        f"{batch['router_batch_linger_ms']} ms of it), one transaction each; "
        f"{workload['distinct_records']} distinct generator records "
        f"from {workload['agencies']} agencies, cycled[/]"
    )
