"""Fault injection: break a private three-node cluster under a live pipeline and count the damage.

Each fault runs on its own topic namespace of a private local cluster (replication factor 3,
``min.insync.replicas`` 2; publishers use ``acks=all``), never on the shared broker:

1. an agency's :class:`~producers.publisher.AgencyPublisher` streams events at a steady rate;
2. the router runs as a subprocess (``pentameter router run``), so it can be killed like any
   process in production;
3. mid-stream the fault is injected, and the run waits until the router has committed every
   ingress record;
4. partner topics and the audit ledger are read with ``isolation.level=read_committed`` and judged
   by :func:`bench.faults_check.tally`: every acknowledged event on every partner the policy
   engine entitles (``engine.route``) exactly once, in per-case publish order, and nothing on a
   partner topic the ledger does not explain.

The faults:

- ``kill-leader``: SIGKILL the leader of a busy ingress partition, restart it once leadership
  moved;
- ``kill-router``: freeze the router until a transaction is provably open (a partner or audit
  partition's last stable offset is behind its high watermark), SIGKILL it, start a new one;
- ``pause-broker``: SIGSTOP the router group's coordinator past the broker session timeout, until
  the controller fenced it (it leads nothing any more), then SIGCONT;
- ``restart-cluster``: stop every node, start them all again on their data.

A router process that exits by itself is restarted (as a supervisor would) and counted with the
error it logged, so the data checks still run and the exit is reported rather than hidden. (A
static consumer member fenced across a coordinator stall is such an exit: librdkafka stops that
consumer for good, and the router stops rather than idle on it.)
"""

from __future__ import annotations

import contextlib
import copy
import linecache
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import typer
from confluent_kafka import Consumer, IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from rich.console import Console
from rich.table import Table

from bench.faults_check import (
    PartnerCopy,
    Published,
    copies_refused,
    ledger_counts,
    ledger_deliveries,
    ledger_entries,
    records_decided_twice,
    repeated_decisions,
    tally,
)
from bench.faults_quorum import active_controller
from bench.router_process import terminate
from consumers.ledger import verify_entries
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from infra.broker.errors import PortInUse
from infra.broker.local import LocalCluster
from infra.broker.probe import quiet_logger
from infra.ports import free_port_range
from infra.settings import PROJECT_ROOT, Settings, load_settings
from infra.topics import AUDIT_TOPIC, ensure_topics
from producers.agencies import ingress_topic
from producers.exceptions import DeliveryFailed
from producers.publisher import AgencyPublisher, DeliveryReport
from schemas.provenance import Signer
from schemas.samples import sample
from schemas.validation import validate
from schemas.wire import Codec

FAULTS: tuple[str, ...] = (
    "kill-leader", "kill-router", "pause-broker", "restart-cluster", "kill-two-brokers", "pause-controller",
)  # fmt: skip
"""The suite ``make test-faults`` runs (and ``bench faults`` by default)."""
LONG_FAULTS: tuple[str, ...] = ("kill-routers",)
"""Faults for ``bench faults --fault`` only: too long for every CI run (``kill-routers`` is meant
for ``--events 50000 --rate 500``)."""
MARKER_GRACE_SECONDS = 1.0
TWO_DOWN_SECONDS = 20.0
IN_FLIGHT_ACKS_SECONDS = 2.0
"""Acknowledgements still arriving this long after two nodes die are for writes that had already
reached every in-sync replica; the stall is measured after them."""
CONTROLLER_PAUSE_SECONDS = 40.0
ROUTER_KILLS = 5
DEFAULT_EVENTS = 1200
DEFAULT_RATE = 100.0
"""Events per second the stream publishes: well below what the router sustains here, so a fault
(not a backlog) is what the run measures."""
AGENCY = "police.gloucestershire"
EVENT_TYPES = ("IntelligenceReport", "PotentialVictimEncounter", "NRMReferral", "DutyToNotify",
               "NRMDecision", "PremisesVisit", "Arrest", "AssetSeizure")  # fmt: skip
CASES = 24
"""Cases the stream's events belong to: enough events per case for order to be tested."""
BROKER_SESSION_TIMEOUT = 9.0
"""``broker.session.timeout.ms`` (Kafka's default, not overridden by ``infra/broker/config.py``)."""
NODES = 3
STALL_EXIT = "stalled transaction"
"""How an exit by the router's stall watch (``router run --stall-exit``) is reported."""
STALL_EXIT_SECONDS = 90
"""The router's stall limit here: batches of 50 commit in well under a second when the cluster
answers, so 90 s only ends a transaction that librdkafka will never finish."""
DRAIN_TIMEOUT = 300.0  # past the router's stall exit and its restart
"""Seconds the router gets, after the stream ends, to commit every ingress record."""
DRAIN_RATE = 100.0
"""Events per second a long run's drain is allowed at least (50,000 events: 500 s)."""

Progress = Callable[[str], None]
Facts = dict[str, Any]


def _silent(_: str) -> None:
    return None


@dataclass(frozen=True)
class FaultResult:
    """One fault's figures: events for sent/acked/delivered/lost, partner records for the rest."""

    fault: str
    sent: int
    acked: int
    delivered: int
    lost: int
    duplicated: int
    out_of_order: int
    unexplained: int
    seconds: float
    decided_twice: int = 0
    """Events or ingress records with more than one committed ledger entry."""

    @property
    def clean(self) -> bool:
        """Everything acknowledged delivered, exactly once, in order, explained, decided once."""
        damage = (self.lost, self.duplicated, self.out_of_order, self.unexplained, self.decided_twice)
        return damage == (0, 0, 0, 0, 0)


@dataclass(frozen=True)
class FaultRun:
    """A fault's result with the proof that the fault happened and the ledger's own verdict."""

    result: FaultResult
    happened: bool
    """The fault's own evidence held (leadership moved, a transaction was open, ...)."""
    facts: Mapping[str, Any]
    """What was observed: nodes, pids, leaders, timings; shown when something fails."""
    router_exits: int
    """Router processes that exited by themselves (and were restarted)."""
    ledger_problems: tuple[str, ...]
    ledger_decisions: int
    """Committed ``decision`` entries: one per event when nothing went wrong."""
    ledger_dead_letters: Mapping[str, int]
    """Committed dead letters by reason; in a fault run only refused copies (``duplicate_event``)."""
    ingress_records: int
    """Records on the ingress topic: more than events sent when the agency's producer wrote one twice."""
    not_entitled: int
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Events (and ingress records) the ledger holds more than once, each entry named with the
    transactional id and batch that committed it."""


# -- the workload ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    record: dict[str, Any]
    event_id: str
    case: str
    partners: frozenset[str]


def _workload(runtime: Runtime, count: int, tag: str) -> list[_Event]:
    """``count`` valid events cycling through the event types, spread over ``CASES`` cases."""
    base = {t: validate(sample(t)) for t in EVENT_TYPES}
    entitled: dict[str, frozenset[str]] = {}
    events = []
    for i in range(count):
        event_type = EVENT_TYPES[i % len(EVENT_TYPES)]
        record = copy.deepcopy(base[event_type])
        envelope = record["envelope"]
        envelope["event_id"] = uuid.uuid4()
        envelope["origin_agency"] = AGENCY
        if envelope.get("case_id") is not None:
            envelope["case_id"] = f"CASE-{tag}-{i % CASES:02d}"
        if event_type not in entitled:  # entitlement depends on type and agency, not on ids
            routing = runtime.engine.route(event_type, copy.deepcopy(record))
            entitled[event_type] = frozenset(d.partner for d in routing.deliveries)
        event_id = str(envelope["event_id"])
        case = str(envelope.get("case_id") or event_id)
        events.append(_Event(record, event_id, case, entitled[event_type]))
    return events


class _Stream(threading.Thread):
    """Publishes the workload at a steady rate from one thread; records what the broker acked."""

    def __init__(self, runtime: Runtime, events: list[_Event], rate: float) -> None:
        super().__init__(name="pentameter-fault-stream", daemon=True)
        self._runtime = runtime
        self._events = events
        self._rate = rate
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self.sent = 0
        self.acked: set[str] = set()
        self.failed: list[str] = []
        self.error: BaseException | None = None

    def _report(self, report: DeliveryReport) -> None:
        with self._lock:
            if report.ok:
                self.acked.add(report.event_id)

    def stop(self) -> None:
        self._stop_event.set()

    @property
    def total(self) -> int:
        """Events this stream publishes in all."""
        return len(self._events)

    def run(self) -> None:
        runtime = self._runtime
        publisher = AgencyPublisher(
            AGENCY,
            topic=runtime.topic(ingress_topic(AGENCY)),
            bootstrap_servers=str(runtime.client["bootstrap.servers"]),
            catalogue=runtime.catalogue,
            signer=Signer(AGENCY, runtime.keys.signing_key(AGENCY)),
            config={"logger": _quiet_logger()},
        )
        started = time.monotonic()
        try:
            for i, event in enumerate(self._events):
                if self._stop_event.is_set():
                    break
                delay = started + i / self._rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                publisher.publish(event.record, on_delivery=self._report)
                self.sent += 1
        except BaseException as exc:  # reported by the runner, not lost in a thread
            self.error = exc
        finally:
            try:
                publisher.close(timeout=DRAIN_TIMEOUT)
            except DeliveryFailed as exc:
                self.failed = [f.event_id for f in exc.failures]


def _quiet_logger() -> logging.Logger:
    """librdkafka's connection-refused chatter is expected while nodes are down: keep it out."""
    return quiet_logger("bench.faults.client")


# -- the router process ----------------------------------------------------------------------------


class _RouterProcess:
    """``pentameter router run`` as a child process, logging to one file across restarts."""

    def __init__(self, env: dict[str, str], log: Path, worker: int = 0) -> None:
        self._env = env
        self.log = log
        self.worker = worker
        self._proc: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []
        self.unexpected_exits = 0
        self.exit_reasons: list[str] = []

    def sibling(self, worker: int) -> _RouterProcess:
        """Another worker slot of the same deployment, logging beside this one."""
        return _RouterProcess(self._env, self.log.with_name(f"{self.log.stem}-worker-{worker}.log"), worker)

    def start(self) -> int:
        command = [sys.executable, "-m", "pentameter", "router", "run", "--worker", str(self.worker),
                   "--batch", "50", "--batch-ms", "20", "--stall-exit", str(STALL_EXIT_SECONDS)]  # fmt: skip
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self._proc = subprocess.Popen(command, env=self._env, stdout=out, stderr=subprocess.STDOUT)
        self.pids.append(self._proc.pid)
        return self._proc.pid

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        self._proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL and reap; a no-op when it already exited."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.wait(30)

    def supervise(self, progress: Progress) -> None:
        """Restart the router if it exited by itself, and count it."""
        if self._proc is not None and self._proc.poll() is not None:
            self.unexpected_exits += 1
            tail = self.tail(200).splitlines()
            errors = [line for line in tail if " ERROR " in line]
            if any(line.startswith("Timeout (") for line in tail):  # faulthandler: the stall exit
                site = stall_site(tail)
                where = f" at {site}" if site else ""
                errors.append(f"{STALL_EXIT}: a batch's transaction blocked past --stall-exit{where}")
            self.exit_reasons.append(errors[-1] if errors else f"exit code {self._proc.returncode}")
            progress(f"router exited by itself ({self.exit_reasons[-1]}); restarting it")
            self.start()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (the router finishes its batch and closes), SIGKILL if it does not."""
        if self._proc is None:
            return
        terminate(self._proc, timeout)

    def dump_stacks(self) -> None:
        """Ask a stuck router where it is (faulthandler writes every thread's stack to its log)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def stall_site(lines: Sequence[str]) -> str | None:
    """Where a router stopped by its stall exit was blocked: the innermost router frame of the
    stacks faulthandler wrote after its ``Timeout (...)!`` line, with that line's source, so a
    report says which step (offsets, commit, produce) librdkafka held."""
    after = False
    for line in lines:
        after = after or line.startswith("Timeout (")
        match = _FRAME.match(line) if after else None
        if match is not None and match["file"].endswith(ROUTER_SOURCE):
            number = int(match["line"])
            source = linecache.getline(str(PROJECT_ROOT / ROUTER_SOURCE), number).strip()
            return f"{ROUTER_SOURCE}:{number} in {match['function']}" + (f" ({source})" if source else "")
    return None


_FRAME = re.compile(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')
ROUTER_SOURCE = "consumers/router.py"


# -- the cluster -----------------------------------------------------------------------------------


def _admin(bootstrap: str) -> AdminClient:
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 5000}
    config["logger"] = _quiet_logger()
    return AdminClient(config)


def _reap(pid: int | None) -> None:
    """Collect a dead node we spawned, so it does not linger as a zombie."""
    if pid is None:
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


@dataclass
class _Context:
    """What an injector needs: the lab, this run's runtime and router, and where facts go."""

    lab: FaultLab
    runtime: Runtime
    router: _RouterProcess
    stream: _Stream
    facts: Facts = field(default_factory=dict)
    others: list[_RouterProcess] = field(default_factory=list)
    """Router workers an injector started beside ``router`` (worker 0), supervised the same way."""

    @property
    def routers(self) -> list[_RouterProcess]:
        return [self.router, *self.others]

    @property
    def ingress(self) -> str:
        return self.runtime.topic(ingress_topic(AGENCY))

    @property
    def group(self) -> str:
        return self.runtime.router_settings().group_id


class FaultLab:
    """A private three-node cluster that runs faults one after another, each in its own namespace."""

    def __init__(
        self,
        workdir: Path,
        base_port: int | None = None,
        rate: float = DEFAULT_RATE,
        on_progress: Progress | None = None,
        heap: str = "512m",
    ) -> None:
        self.workdir = workdir
        self.rate = rate
        self.progress = on_progress or _silent
        self._base_port = base_port
        self.settings = Settings(
            home=workdir / "home",
            bootstrap_servers=None,
            broker_port=base_port or 0,
            broker_heap=heap,
            topic_prefix="",
            kafka_cache_override=load_settings().kafka_cache,
            principal=None,
        )
        self.cluster = LocalCluster(self.settings)

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> FaultLab:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the cluster (another free port range if a concurrent run took this one)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            base = self._base_port if attempt == 0 else None
            port = base or free_port_range(2 * NODES, from_top=True)
            self.settings = replace(self.settings, broker_port=port)
            self.cluster = LocalCluster(self.settings)
            try:
                self.cluster.up(NODES, progress=self.progress, timeout=120)
                return
            except PortInUse as exc:
                self.progress(f"{exc}; trying another range")
                self.close()
        raise RuntimeError("could not find free ports for the fault cluster")

    def close(self) -> None:
        """Stop every node and drop their data (their logs stay for a post-mortem)."""
        pids = [s.pid for s in self.cluster.nodes()]
        with contextlib.suppress(Exception):
            for state in self.cluster.nodes():  # a paused node would ignore SIGTERM
                if state.pid is not None:
                    os.kill(state.pid, signal.SIGCONT)
        self.cluster.down()
        for pid in pids:
            _reap(pid)
        for state in self.cluster.nodes():
            shutil.rmtree(state.spec.data_dir, ignore_errors=True)

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap_servers()

    def node_pids(self) -> dict[int, int | None]:
        return {s.spec.node_id: s.pid for s in self.cluster.nodes()}

    def bootstrap_without(self, node: int) -> str:
        return ",".join(s.spec.bootstrap for s in self.cluster.nodes() if s.spec.node_id != node)

    # -- one fault ---------------------------------------------------------------------------------
    def run(self, fault: str, events: int = DEFAULT_EVENTS) -> FaultRun:
        """Stream ``events``, inject ``fault`` mid-stream, drain, and judge what partners got."""
        inject = _INJECTORS.get(fault)
        if inject is None:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        started = time.monotonic()
        self._settle()
        prefix = f"f{uuid.uuid4().hex[:8]}."
        settings = replace(self.settings, topic_prefix=prefix, bootstrap_servers=self.bootstrap)
        runtime = build_runtime(settings)
        ensure_topics(_admin(self.bootstrap), runtime.topic_specs())
        runtime.publish_governance()
        runtime.keys.signing_key(ROUTER_IDENTITY)  # made here, not raced by the router process
        workload = _workload(runtime, events, uuid.uuid4().hex[:6])
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PENTAMETER_")},
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "PENTAMETER_TOPIC_PREFIX": prefix,
            "PENTAMETER_HOME": str(settings.home),
            "PYTHONFAULTHANDLER": "1",
        }
        router = _RouterProcess(env, self.workdir / f"router-{fault}-{prefix.rstrip('.')}.log")
        stream = _Stream(runtime, workload, self.rate)
        ctx = _Context(self, runtime, router, stream)
        self.progress(f"{fault}: streaming {events} events at {self.rate:g}/s (topic prefix {prefix})")
        try:
            router.start()
            self.until(lambda: "assigned ['" in router.log.read_text(), 120, "the router joining", ctx)
            stream.start()
            self.until(
                lambda: stream.sent >= events // 4 and self._committed_events(ctx) > 0,
                120,
                "the router committing its first events",
                ctx,
            )
            self.progress(f"{fault}: injecting after {stream.sent} events sent")
            happened = inject(ctx)
            self.progress(f"{fault}: injected; {_describe(ctx.facts)}")
            stream.join()
            if stream.error is not None:
                raise RuntimeError(f"the publisher failed: {stream.error!r}") from stream.error
            self._settle()
            drain = max(DRAIN_TIMEOUT, events / DRAIN_RATE)
            self.until(lambda: self._drained(ctx), drain, "the routers draining the ingress", ctx)
            for each in ctx.routers:
                each.stop()
            self.progress(f"{fault}: drained; checking partner topics and the ledger")
            run = self._judge(fault, ctx, workload, stream, happened, time.monotonic() - started)
            self.progress(f"{fault}: {run.result}")
            return run
        finally:
            stream.stop()
            if stream.is_alive():
                stream.join(DRAIN_TIMEOUT)
            for each in ctx.routers:
                each.kill()
            self._drop_topics(runtime)

    # -- waiting ---------------------------------------------------------------------------------------
    def until(
        self, condition: Callable[[], bool], timeout: float, what: str, ctx: _Context | None = None
    ) -> None:
        """Wait for ``condition`` (restarting routers that exit by themselves); at the deadline,
        TimeoutError naming ``what`` with the routers' stacks and log tails."""
        routers = ctx.routers if ctx is not None else []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for router in routers:
                router.supervise(self.progress)
            with contextlib.suppress(KafkaException):
                if condition():
                    return
            time.sleep(0.2)
        tail = ""
        for router in routers:
            router.dump_stacks()
            tail += f"\nrouter {router.worker} log:\n{router.tail()}"
        raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{tail}")

    def _settle(self, timeout: float = 120.0) -> None:
        """Every node answering and every partition fully replicated: the next fault starts clean."""
        self.cluster.wait_ready(NODES, timeout)
        admin = _admin(self.bootstrap)

        def replicated() -> bool:
            topics = admin.list_topics(timeout=5).topics.values()
            return all(len(p.isrs) == len(p.replicas) for t in topics for p in t.partitions.values())

        self.until(replicated, timeout, "every partition back in sync")

    def _committed_events(self, ctx: _Context) -> int:
        """Ingress records the router group has committed (offsets of the agency's partitions)."""
        return sum(max(0, o) for o in self._committed(ctx).values())

    def _committed(self, ctx: _Context) -> dict[int, int]:
        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap, "group.id": ctx.group, "logger": _quiet_logger()}
        )
        try:
            partitions = [TopicPartition(ctx.ingress, p) for p in range(3)]
            return {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=10)}
        finally:
            consumer.close()

    def _drained(self, ctx: _Context) -> bool:
        committed = self._committed(ctx)
        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap, "group.id": "fault-ends", "logger": _quiet_logger()}
        )
        try:
            for partition, offset in committed.items():
                _, high = consumer.get_watermark_offsets(TopicPartition(ctx.ingress, partition), timeout=10)
                if offset < high and high > 0:
                    return False
            return True
        finally:
            consumer.close()

    def _drop_topics(self, runtime: Runtime) -> None:
        """Delete this run's topics so later faults (the cluster restart above all) stay small."""
        with contextlib.suppress(Exception):
            admin = _admin(self.bootstrap)
            names = [s.name for s in runtime.topic_specs()]
            for future in admin.delete_topics(names, operation_timeout=30).values():
                with contextlib.suppress(Exception):
                    future.result(timeout=60)

    # -- judging ---------------------------------------------------------------------------------------
    def _judge(
        self,
        fault: str,
        ctx: _Context,
        workload: list[_Event],
        stream: _Stream,
        happened: bool,
        seconds: float,
    ) -> FaultRun:
        runtime = ctx.runtime
        sent = workload[: stream.sent]
        acked = stream.acked
        published = [
            Published(e.event_id, seq, e.case, e.partners, e.event_id in acked) for seq, e in enumerate(sent)
        ]
        codec = Codec(runtime.catalogue)
        partner_of = {topic: partner for partner, topic in runtime.partner_topics.items()}
        copies = []
        for record in _read(self.bootstrap, list(partner_of), "read_committed"):
            _, decoded = codec.decode(record.value)
            envelope = decoded.get("envelope", decoded)
            event_id = str(envelope["event_id"])
            copies.append(PartnerCopy(partner_of[record.topic], record.partition, record.offset, event_id))
        audit_topic = runtime.topic(AUDIT_TOPIC)
        audit = [(r.offset, r.value) for r in _read(self.bootstrap, [audit_topic], "read_committed")]
        report = verify_entries(audit, runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get)
        counts = tally(published, copies, ledger_deliveries(value for _, value in audit))
        entries = ledger_entries(value for _, value in audit)
        repeated = repeated_decisions(entries)
        if repeated:  # which ingress records: one offset twice (the router) or two offsets (the agency)
            ctx.facts["repeated_decisions"] = repeated
        twice = records_decided_twice(entries)
        if twice:
            ctx.facts["records_decided_twice"] = twice
        refused = copies_refused(entries)
        if refused:  # the agency's producer wrote an event twice; the router refused the copy
            ctx.facts["copies_refused"] = refused
        ingress_records = len(_read(self.bootstrap, [ctx.ingress], "read_committed"))
        if ingress_records != stream.sent:  # the agency's own producer wrote an event twice
            ctx.facts["ingress_records"] = ingress_records
        decisions, dead_letters = ledger_counts(entries)
        if fault == "kill-router":
            ctx.facts["aborted_records"] = self._aborted_records(ctx)
            happened = happened and ctx.facts["aborted_records"] > 0
        result = FaultResult(
            fault=fault,
            sent=counts.sent,
            acked=counts.acked,
            delivered=counts.delivered,
            lost=counts.lost,
            duplicated=counts.duplicated,
            out_of_order=counts.out_of_order,
            unexplained=counts.unexplained,
            seconds=round(seconds, 1),
            decided_twice=len(repeated) + len(twice),
        )
        ctx.facts["router_pids"] = [pid for router in ctx.routers for pid in router.pids]
        ctx.facts["router_exit_reasons"] = [why for router in ctx.routers for why in router.exit_reasons]
        return FaultRun(
            result=result,
            happened=happened,
            facts=dict(ctx.facts),
            router_exits=sum(router.unexpected_exits for router in ctx.routers),
            ledger_problems=tuple(str(p) for p in report.problems),
            ledger_decisions=decisions,
            ledger_dead_letters=dict(dead_letters),
            ingress_records=ingress_records,
            not_entitled=counts.not_entitled,
            repeated={event: tuple(found) for event, found in {**repeated, **twice}.items()},
        )

    def _aborted_records(self, ctx: _Context) -> int:
        """Records on partner and audit topics that no committed transaction holds (an abort's)."""
        topics = [*ctx.runtime.partner_topics.values(), ctx.runtime.topic(AUDIT_TOPIC)]
        committed = len(_read(self.bootstrap, topics, "read_committed"))
        return len(_read(self.bootstrap, topics, "read_uncommitted")) - committed


@dataclass(frozen=True)
class _Message:
    topic: str
    partition: int
    offset: int
    value: bytes


def _read(bootstrap: str, topics: list[str], isolation: str) -> list[_Message]:
    """Every data record of ``topics`` as a consumer with ``isolation`` sees it, each partition in
    offset order (one consumer over all partitions at once: fast enough to run after every fault)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"fault-read-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "logger": _quiet_logger(),
        }
    )
    try:
        assignment = []
        for topic, meta in consumer.list_topics(timeout=10).topics.items():
            if topic in topics:
                assignment += [TopicPartition(topic, p, -2) for p in meta.partitions]
        if len(assignment) < len(topics):
            raise LookupError(f"missing topics among {topics}")
        consumer.assign(assignment)
        pending = {(tp.topic, tp.partition) for tp in assignment}
        found: list[_Message] = []
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(1000, 1.0):
                error = message.error()
                where = (str(message.topic()), int(message.partition() or 0))
                if error is None:
                    found.append(_Message(*where, int(message.offset() or 0), bytes(message.value() or b"")))
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(where)
                else:
                    raise KafkaException(error)
        if pending:
            raise TimeoutError(f"could not read to the end of {sorted(pending)}")
        return found
    finally:
        consumer.close()


def _describe(facts: Facts) -> str:
    return ", ".join(f"{k}={v}" for k, v in facts.items())


# -- the faults ------------------------------------------------------------------------------------


def _leader(admin: AdminClient, topic: str, partition: int) -> int:
    meta = admin.list_topics(topic, timeout=5).topics[topic].partitions[partition]
    return int(meta.leader)


def _led_by(admin: AdminClient, node: int, prefix: str) -> int:
    """Partitions of this run's topics whose leader is ``node``."""
    topics = admin.list_topics(timeout=5).topics
    return sum(
        1 for name, t in topics.items() if name.startswith(prefix)
        for p in t.partitions.values() if p.leader == node
    )  # fmt: skip


def _kill_leader(ctx: _Context) -> bool:
    """SIGKILL the leader of a busy ingress partition; restart it once leadership has moved."""
    lab, facts = ctx.lab, ctx.facts
    node = _leader(_admin(lab.bootstrap), ctx.ingress, 0)
    pid = lab.node_pids()[node]
    facts.update(killed_node=node, leader_before=node, node_pid_before=pid)
    lab.cluster.signal_node(node, signal.SIGKILL)
    _reap(pid)
    survivors = _admin(lab.bootstrap_without(node))
    moved: list[int] = []

    def leadership_moved() -> bool:
        leader = _leader(survivors, ctx.ingress, 0)
        if leader not in (-1, node):
            moved.append(leader)
            return True
        return False

    lab.until(leadership_moved, 60, f"a new leader of {ctx.ingress}/0", ctx)
    facts["leader_after"] = moved[-1]
    facts["seconds_down"] = _pause(2.0)
    lab.cluster.start_node(node)
    lab.cluster.wait_ready(NODES, 120)
    facts["node_pid_after"] = lab.node_pids()[node]
    return facts["leader_after"] != node and facts["node_pid_after"] not in (None, pid)


def _pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _ends(
    admin: AdminClient, partitions: list[TopicPartition], level: IsolationLevel
) -> dict[tuple[str, int], int]:
    """End offsets of ``partitions`` as a reader at ``level`` sees them (committed: the last stable)."""
    latest = {tp: OffsetSpec.latest() for tp in partitions}  # type: ignore[no-untyped-call]
    futures = admin.list_offsets(latest, isolation_level=level, request_timeout=5)
    return {(tp.topic, tp.partition): int(f.result().offset) for tp, f in futures.items()}


def _outputs(admin: AdminClient, ctx: _Context) -> list[TopicPartition]:
    """Every partition the router writes: partner topics and the audit topic."""
    topics = [*ctx.runtime.partner_topics.values(), ctx.runtime.topic(AUDIT_TOPIC)]
    metadata = admin.list_topics(timeout=5).topics
    return [TopicPartition(t, p) for t in topics for p in metadata[t].partitions]


def _unstable(admin: AdminClient, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
    """Partitions whose last stable offset is behind the high watermark, with that stable offset."""
    stable = _ends(admin, partitions, IsolationLevel.READ_COMMITTED)
    written = _ends(admin, partitions, IsolationLevel.READ_UNCOMMITTED)
    return {key: stable[key] for key in written if stable[key] < written[key]}


def _open_transaction(admin: AdminClient, ctx: _Context) -> bool:
    """True when a partner or audit partition holds records of a transaction that stays open.

    The last stable offset also trails the high watermark for a moment after a commit, until the
    markers are replicated; so the gap must still be there, at the same offset, a moment later
    (``MARKER_GRACE_SECONDS``; a frozen router's open transaction stays open for its whole 30 s
    timeout, and the kill-router check counts the aborted records, so a gap misjudged shows).
    """
    partitions = _outputs(admin, ctx)
    first = _unstable(admin, partitions)
    if not first:
        return False
    time.sleep(MARKER_GRACE_SECONDS)
    second = _unstable(admin, partitions)
    return any(second.get(key) == offset for key, offset in first.items())


def _unchanged(read: Callable[[], object]) -> Callable[[], bool]:
    """A condition true once two successive reads agree (nothing moved between them)."""
    last: list[object] = []

    def settled() -> bool:
        now = read()
        same = bool(last) and last[-1] == now
        last[:] = [now]
        return same

    return settled


def _freeze_in_transaction(ctx: _Context, attempts: int = 60) -> int | None:
    """SIGSTOP the router at a moment its transaction is provably open and leave it stopped; the
    attempt that succeeded, or None (the router running again) when none did. After each stop the
    router's writes already on the wire must land first: the end offsets are read until two reads
    agree, then the open transaction is looked for."""
    admin, router = _admin(ctx.lab.bootstrap), ctx.router
    for attempt in range(1, attempts + 1):
        router.signal(signal.SIGSTOP)
        written = _outputs(admin, ctx)
        landed = _unchanged(lambda: _ends(admin, written, IsolationLevel.READ_UNCOMMITTED))  # noqa: B023
        ctx.lab.until(landed, 30, "the frozen router's writes landing")
        if _open_transaction(admin, ctx):
            return attempt
        router.signal(signal.SIGCONT)
        time.sleep(0.05 * (attempt % 4))  # vary where the next stop falls in the router's loop
    return None


def _kill_router(ctx: _Context) -> bool:
    """Freeze the router until a transaction is provably open, SIGKILL it, start another."""
    router, facts = ctx.router, ctx.facts
    facts["router_pid_before"] = router.pid
    attempt = _freeze_in_transaction(ctx)
    if attempt is None:
        router.signal(signal.SIGCONT)
    router.kill()
    facts.update(open_transaction_at_kill=attempt is not None, attempts=attempt)
    facts["router_pid_after"] = router.start()
    return bool(facts["open_transaction_at_kill"]) and facts["router_pid_after"] != facts["router_pid_before"]


def _coordinator(admin: AdminClient, group: str) -> int:
    """The group's coordinator node, asked again while the coordinator is moving."""
    deadline = time.monotonic() + 60
    while True:
        try:
            described = admin.describe_consumer_groups([group], request_timeout=10)[group].result()
            return int(described.coordinator.id)
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _pause_broker(ctx: _Context) -> bool:
    """SIGSTOP the router group's coordinator until the controller fenced it, then SIGCONT."""
    lab, facts = ctx.lab, ctx.facts
    node = _coordinator(_admin(lab.bootstrap), ctx.group)
    prefix = ctx.runtime.settings.topic_prefix
    facts.update(paused_node=node, led_before=_led_by(_admin(lab.bootstrap), node, prefix))
    survivors = _admin(lab.bootstrap_without(node))
    lab.cluster.signal_node(node, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        minimum = BROKER_SESSION_TIMEOUT + 1.0
        lab.until(
            lambda: time.monotonic() - stopped > minimum and _led_by(survivors, node, prefix) == 0,
            90,
            f"node {node} fenced by the controller",
            ctx,
        )
        facts["led_while_paused"] = _led_by(survivors, node, prefix)
        facts["coordinator_while_paused"] = _coordinator(survivors, ctx.group)
    finally:
        facts["seconds_paused"] = round(time.monotonic() - stopped, 1)
        lab.cluster.signal_node(node, signal.SIGCONT)
    return bool(
        facts["led_before"] > 0
        and facts["led_while_paused"] == 0
        and facts["seconds_paused"] > BROKER_SESSION_TIMEOUT
    )


def _restart_cluster(ctx: _Context) -> bool:
    """Stop every node (the publisher and router keep running), then start them all on their data.

    The router is first frozen with a transaction open and let go as the nodes stop, so the rest
    of that transaction (its produce, offsets and commit steps) meets the shutdown.
    """
    lab, facts = ctx.lab, ctx.facts
    before = lab.node_pids()
    facts["pids_before"] = sorted(p for p in before.values() if p)
    facts["transaction_open_at_stop"] = _freeze_in_transaction(ctx) is not None
    stopping = time.monotonic()
    stopper = threading.Thread(target=lab.cluster.down, name="pentameter-fault-stop")
    stopper.start()
    ctx.router.signal(signal.SIGCONT)
    stopper.join()
    for pid in before.values():
        _reap(pid)
    facts["all_down"] = not any(lab.node_pids().values())
    facts["seconds_to_stop"] = round(time.monotonic() - stopping, 1)
    lab.cluster.up(NODES, timeout=120)
    after = lab.node_pids()
    facts["pids_after"] = sorted(p for p in after.values() if p)
    facts["seconds_down"] = round(time.monotonic() - stopping, 1)
    return bool(facts["all_down"]) and all(after[n] not in (None, before[n]) for n in before)


def _acked_after(stream: _Stream, seconds: float) -> int:
    """Events acknowledged once ``seconds`` have passed (a wait of the fault's own length)."""
    time.sleep(seconds)
    return len(stream.acked)


def _kill_two_brokers(ctx: _Context) -> bool:
    """SIGKILL two of the three nodes at once (a busy ingress leader among them), keep them down
    ``TWO_DOWN_SECONDS``, then start both: with min ISR 2 and no controller quorum, writes stall,
    then resume. The proof is in the acknowledgements: none between the kill (plus a moment for
    acks already in flight) and the restart, every event acknowledged at the end."""
    lab, facts = ctx.lab, ctx.facts
    leader = _leader(_admin(lab.bootstrap), ctx.ingress, 0)
    pids = lab.node_pids()
    victims = [leader, *[n for n in sorted(pids) if n != leader][:1]]
    facts.update(killed_nodes=victims, node_pids_before=[pids[n] for n in victims])
    for node in victims:
        lab.cluster.signal_node(node, signal.SIGKILL)
        _reap(pids[node])
    down = time.monotonic()
    settled = _acked_after(ctx.stream, IN_FLIGHT_ACKS_SECONDS)
    facts["acked_while_down"] = _acked_after(ctx.stream, TWO_DOWN_SECONDS - IN_FLIGHT_ACKS_SECONDS) - settled
    facts["sent_while_down"] = ctx.stream.sent
    for node in victims:
        lab.cluster.start_node(node)
    facts["seconds_down"] = round(time.monotonic() - down, 1)
    lab.cluster.wait_ready(NODES, 120)
    after = lab.node_pids()
    facts["node_pids_after"] = [after[n] for n in victims]
    return bool(
        facts["seconds_down"] >= TWO_DOWN_SECONDS
        and facts["acked_while_down"] == 0
        and all(after[n] not in (None, pids[n]) for n in victims)
    )


def _pause_controller(ctx: _Context) -> bool:
    """SIGSTOP the active controller (the KRaft quorum leader, also a broker) for
    ``CONTROLLER_PAUSE_SECONDS``; the proof is another node leading the quorum while it is paused."""
    lab, facts = ctx.lab, ctx.facts
    logs = [state.spec.log_file for state in lab.cluster.nodes()]
    node = active_controller(logs)
    if node is None:
        raise RuntimeError("no node's log names the active controller")
    facts["paused_controller"] = node
    lab.cluster.signal_node(node, signal.SIGSTOP)
    paused = time.monotonic()
    try:
        moved = f"a controller other than node {node}"
        lab.until(lambda: active_controller(logs) not in (None, node), 60, moved, ctx)
        facts["controller_while_paused"] = active_controller(logs)
        until = paused + CONTROLLER_PAUSE_SECONDS
        lab.until(lambda: time.monotonic() >= until, CONTROLLER_PAUSE_SECONDS + 5, "the pause's end", ctx)
    finally:
        facts["seconds_paused"] = round(time.monotonic() - paused, 1)
        lab.cluster.signal_node(node, signal.SIGCONT)
    return bool(
        facts["controller_while_paused"] != node and facts["seconds_paused"] >= CONTROLLER_PAUSE_SECONDS
    )


def _kill_routers(ctx: _Context) -> bool:
    """Run a second router worker beside the first and SIGKILL one of the two, chosen at random,
    ``ROUTER_KILLS`` times at random moments of the rest of the stream, restarting each at once."""
    facts, rng = ctx.facts, random.Random()
    second = ctx.router.sibling(1)
    ctx.others.append(second)
    second.start()
    remaining = (ctx.stream.total - ctx.stream.sent) / ctx.lab.rate
    moments = sorted(rng.uniform(0, remaining) for _ in range(ROUTER_KILLS))
    started, kills = time.monotonic(), []
    for moment in moments:
        at = started + moment
        ctx.lab.until(lambda: time.monotonic() >= at, moment + 5, "the next kill's moment", ctx)  # noqa: B023
        victim = rng.choice(ctx.routers)
        victim.kill()
        victim.start()
        kills.append({"worker": victim.worker, "at": round(moment, 1), "sent": ctx.stream.sent})
    facts["kills"] = kills
    return len(kills) == ROUTER_KILLS


_INJECTORS: dict[str, Callable[[_Context], bool]] = {
    "kill-leader": _kill_leader,
    "kill-router": _kill_router,
    "pause-broker": _pause_broker,
    "restart-cluster": _restart_cluster,
    "kill-two-brokers": _kill_two_brokers,
    "pause-controller": _pause_controller,
    "kill-routers": _kill_routers,
}


# -- the public entry points -----------------------------------------------------------------------


def run_fault_suite(
    workdir: Path,
    faults: Sequence[str] = FAULTS,
    events: int = DEFAULT_EVENTS,
    on_progress: Callable[[str], None] | None = None,
    rate: float = DEFAULT_RATE,
) -> list[FaultResult]:
    """Run ``faults`` one after another on one private three-node cluster under ``workdir``."""
    unknown = [f for f in faults if f not in _INJECTORS]
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(_INJECTORS)}")
    with FaultLab(workdir, rate=rate, on_progress=on_progress) as lab:
        return [lab.run(fault, events).result for fault in faults]


def fault_table(results: Sequence[FaultResult]) -> Table:
    """The figures of each fault: what was sent, acknowledged, delivered, and what went wrong."""
    table = Table(title="Faults on a three-node cluster (RF 3, min ISR 2, acks=all)")
    table.add_column("fault", no_wrap=True)
    for name in ("events sent", "acked", "delivered", "lost", "duplicated", "out of order", "unexplained",
                 "decided twice"):  # fmt: skip
        table.add_column(name, justify="right")
    table.add_column("seconds", justify="right")
    for r in results:
        style = None if r.clean else "red"
        figures = (r.sent, r.acked, r.delivered, r.lost, r.duplicated, r.out_of_order, r.unexplained,
                   r.decided_twice)  # fmt: skip
        table.add_row(
            r.fault,
            *(f"{n:,}" for n in figures),
            f"{r.seconds:.1f}",
            style=style,
        )
    return table


@contextlib.contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="pentameter-faults-") as tmp:
        yield Path(tmp)


def bench_faults(
    events: int = typer.Option(DEFAULT_EVENTS, help="Events streamed per fault."),
    fault: list[str] | None = typer.Option(
        None, "--fault", help=f"Run only this fault (repeatable): {', '.join(_INJECTORS)}."
    ),
    rate: float = typer.Option(DEFAULT_RATE, help="Events per second the agency publishes."),
    workdir: Path | None = typer.Option(
        None, help="Keep the cluster's and routers' logs here (default: a temporary directory)."
    ),
) -> None:
    """Break a private three-node cluster under a live pipeline and count lost, duplicated,
    reordered and unexplained records (exit 1 if any)."""
    chosen = fault or list(FAULTS)
    unknown = [f for f in chosen if f not in _INJECTORS]
    console = Console(stderr=True)
    if unknown:
        console.print(f"[red]unknown fault(s) {', '.join(unknown)}[/]; known: {', '.join(_INJECTORS)}")
        raise typer.Exit(code=2)
    with _workdir(workdir) as where:
        results = run_fault_suite(where, chosen, events, on_progress=console.print, rate=rate)
    out = Console()
    out.width = max(out.width, 120)  # the full table even when piped
    out.print(fault_table(results))
    if not all(r.clean and r.delivered == r.acked for r in results):
        raise typer.Exit(code=1)
