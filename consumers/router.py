"""The policy-enforcing router: ingress topics in, partner topics out, exactly once.

Each batch is one Kafka transaction: take the records waiting (up to N; :mod:`consumers.batching`),
decide each one (:mod:`consumers.decisions`), then in one transaction produce every partner record,
dead letter and audit entry, seal the audit chains, and commit the consumed offsets with the chain
heads in their metadata. Partners read with ``isolation.level=read_committed``, so they see all of
a batch or none of it; a crash at any point leaves either a committed batch or one that is
aborted and consumed again.

Rebalances are safe because a transaction is never open while ``consume()`` runs: partitions
can only move between batches, after their offsets were committed. The transactional id is
stable per worker slot (``--worker N``), so a restarted worker fences its predecessor at once
and aborts its unfinished transaction instead of waiting for it to time out.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.batching import next_batch
from consumers.decisions import Decider, Outcome, Source
from consumers.exceptions import ConsumerStalled, ReadFailed, WindowNotRebuilt
from consumers.ledger import ChainHead, ChainWriter
from consumers.metrics import RouterMetrics
from consumers.oversize import RECORD_BYTES, Limits, fit
from consumers.positions import Positions
from consumers.recent_events import RecentEvents
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from schemas import native
from schemas.provenance import Signer

log = logging.getLogger("pentameter.router")
STALLED_CONSUMER = "stalled consumer"
"""How a supervised worker names its stop when its consumer reads nothing while input waits."""
REWIND_FAILED = "cannot rewind"
"""How a worker names its stop when, after an abort, it cannot learn its committed offsets: going
on from the position it had would skip the aborted batch, so it stops and its successor starts
from the committed offsets."""

REWIND_ATTEMPTS = 3
ABORT_ATTEMPTS = 3
"""Abort calls while librdkafka says the abort timed out and may be resumed by calling it again."""
TRANSACTION_ATTEMPTS = 3
"""Commit calls while librdkafka calls the commit's failure retriable (it timed out) before the
worker stops; the stall exit (``--stall-exit``) bounds the total time in any case."""
OFFSETS_STEP_TIMEOUT = 30.0
OFFSETS_STEP_EXIT_SECONDS = 45.0
"""A supervised worker whose offsets step has not returned this many seconds after it began (its
own timeout, ``OFFSETS_STEP_TIMEOUT``, plus a margin) exits at once rather than waiting out the
whole stall limit. librdkafka 2.16 does not enforce that timeout for coordinator requests
(librdkafka issue 5456), and can wait forever on a group coordinator cached from before its
broker left the cluster (issue 5511): a leader kill or a cluster restart can leave the call
blocked with no end."""
PROVENANCE_CHUNK = 1024  # events per router provenance batch: proofs stay <= 10 hashes
REFUSED_RECORD = frozenset(
    {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_RECORD,
     KafkaError.INVALID_MSG, KafkaError.POLICY_VIOLATION}
)  # fmt: skip
"""Delivery errors that refuse one record for what it is: the redo of its batch writes it reduced
(a dead letter) or denies it (a partner record) instead of failing the batch again."""


@dataclass(frozen=True)
class Inbound:
    """A consumed ingress record, with the types the decision code expects."""

    source: Source
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | None

    @classmethod
    def of(cls, message: Message) -> Inbound:
        raw = message.headers()
        headers = None
        if isinstance(raw, list):
            headers = [(k, _as_bytes(v) or b"") for k, v in raw]
        source = Source(str(message.topic()), int(message.partition() or 0), int(message.offset() or 0))
        return cls(source, _as_bytes(message.key()), _as_bytes(message.value()), headers)


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


@dataclass(frozen=True)
class RouterSettings:
    """How one router worker reads, batches and commits."""

    group_id: str = "pentameter-router"
    worker: int = 0
    batch_max_events: int = 2000
    batch_max_ms: int = 100
    """How long the router waits for input when none is there before it looks again (stops,
    idle and stall checks); waiting records are taken at once (:mod:`consumers.batching`)."""
    batch_linger_ms: int = 2
    """After a wait, how long the first record's batch stays open for the records arriving with it."""
    transaction_timeout_ms: int = 30000
    audit_topic: str = AUDIT_TOPIC
    dead_letter_topic: str = DEAD_LETTER_TOPIC
    recent_events: int = 10_000
    """Routed event ids remembered per ingress partition, so an event published twice is routed
    once (:mod:`consumers.recent_events`); 0 turns the check off."""
    max_record_bytes: int = RECORD_BYTES
    """The largest record the router writes (key, value, headers): a dead letter over it is reduced,
    a partner record over it denied (:mod:`consumers.oversize`)."""
    stall_exit_seconds: float | None = None
    """A router *process* exits (status 1, with every thread's stack on stderr) when one batch's
    transaction has not finished after this many seconds. librdkafka can block in the offsets step
    past its own timeout after a whole-cluster restart; the batch is uncommitted, so exiting and
    being restarted by a supervisor loses and duplicates nothing. None (in-process routers: the
    demo, tests) never exits. The same limit stops a worker whose consumer has read nothing that
    long while records wait on its partitions (``STALLED_CONSUMER``)."""

    @property
    def transactional_id(self) -> str:
        return f"{self.group_id}-worker-{self.worker}"


def consumer_config(client: dict[str, Any], settings: RouterSettings) -> dict[str, Any]:
    """The router's consumer: offsets only ever committed in its transactions, committed reads."""
    return {
        **client,
        "group.id": settings.group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "partition.assignment.strategy": "cooperative-sticky",
        # static membership: a restarted worker takes its partitions back at once instead of
        # waiting for the dead one's session to expire
        "group.instance.id": settings.transactional_id,
        "session.timeout.ms": 15000,
    }


def producer_config(client: dict[str, Any], settings: RouterSettings) -> dict[str, Any]:
    """The router's transactional producer, batched for throughput."""
    return {
        **client,
        "transactional.id": settings.transactional_id,
        "transaction.timeout.ms": settings.transaction_timeout_ms,
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 1_000_000,
        "compression.type": "lz4",
        # only refusals are reported back: a delivery report per record written would cost a
        # Python callback each, and nothing is done with a success
        "delivery.report.only.error": True,
    }


@dataclass
class RouterStats:
    """Running totals, read by the demo, the benchmark and the metrics endpoint."""

    consumed: int = 0
    delivered: int = 0
    dead_letters: int = 0
    transactions: int = 0
    aborts: int = 0
    by_partner: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    commit_seconds: float = 0.0


class Router:
    """One router worker. Several workers in the same group share the ingress partitions."""

    def __init__(
        self,
        client_config: dict[str, Any],
        ingress_topics: list[str],
        decider: Decider,
        signer: Signer,
        settings: RouterSettings | None = None,
        on_commit: Callable[[RouterStats], None] | None = None,
        metrics: RouterMetrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.settings = settings or RouterSettings()
        self._decider = decider
        self._signer = signer
        self._ledger_key: Ed25519PrivateKey = signer.private_key
        self._ingress = ingress_topics
        self._on_commit = on_commit
        self.stats = RouterStats()
        self._stall_checked = 0.0
        self._assigned_at = 0.0  # idle time counts from the last assignment (its rebuild can be long)
        self._chains: dict[tuple[str, int], ChainWriter] = {}
        self._positions = Positions()
        self._limits = Limits(self.settings.max_record_bytes)
        self._refused: dict[tuple[str, str], str] = {}  # (topic, source) -> why it was refused
        self._refusals: dict[tuple[str, str], str] = {}  # refusals reported in the open transaction
        self._isolate: dict[tuple[str, int], int] = {}  # partition -> last offset to redo one by one
        self._client_config = client_config
        limit = self.settings.recent_events
        self._recent = RecentEvents(limit) if limit > 0 else None
        self._consumer = Consumer(consumer_config(client_config, self.settings))
        self._producer = Producer(producer_config(client_config, self.settings))

    # -- partition ownership -------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._load_chains(partitions)
        log.info("assigned %s", [f"{p.topic}/{p.partition}" for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for p in partitions:
            self._chains.pop((p.topic, p.partition), None)
            self._positions.forget(p.topic, p.partition)
            if self._recent is not None:
                self._recent.forget(p.topic, p.partition)
        log.info("revoked %s", [f"{p.topic}/{p.partition}" for p in partitions])

    def _load_chains(self, partitions: list[TopicPartition]) -> None:
        """Continue each partition's audit chain from the head committed with its offset."""
        if not partitions:
            return
        committed = self._consumer.committed(partitions, timeout=30)
        for tp in committed:
            chain = f"{tp.topic}/{tp.partition}"
            self._chains[(tp.topic, tp.partition)] = ChainWriter(chain, ChainHead.from_metadata(tp.metadata))
            self._positions.reset(tp.topic, tp.partition, tp.offset)
        if self._recent is not None:
            taken_over = [(tp.topic, tp.partition) for tp in committed if tp.offset > 0]
            if taken_over:
                started = time.perf_counter()
                remembered = self._rebuild_window(taken_over)
                log.info("%d routed event(s) of %d partition(s) remembered from the ledger in %.2f s",
                         remembered, len(taken_over), time.perf_counter() - started)  # fmt: skip
        self._assigned_at = time.monotonic()

    def _rebuild_window(self, partitions: list[tuple[str, int]]) -> int:
        assert self._recent is not None
        try:
            return self._recent.rebuild(self._client_config, self.settings.audit_topic, partitions)
        except (KafkaException, LookupError, ReadFailed, TimeoutError) as exc:
            raise WindowNotRebuilt(
                f"cannot rebuild the window of routed events from {self.settings.audit_topic} ({exc}): "
                "the router needs READ on its audit topic (pentameter acls apply), or run it with "
                "--recent-events 0 to route without the duplicate check"
            ) from exc

    def _rewind(self) -> None:
        """After an abort: go back to the committed offsets and chain heads.

        The coordinator can be away for a while after a cluster restart (NOT_COORDINATOR, a
        timeout): ask again a few times, then stop the worker by name. It must not go on from its
        current position, which is past the aborted batch.
        """
        self._positions.discard()
        assignment = self._consumer.assignment()
        if not assignment:
            return
        for attempt in range(1, REWIND_ATTEMPTS + 1):
            try:
                committed = self._consumer.committed(assignment, timeout=30)
                break
            except KafkaException as exc:
                if exc.args[0].fatal() or attempt == REWIND_ATTEMPTS:
                    log.error("%s to the committed offsets after an abort, stopping this worker: %s",
                              REWIND_FAILED, exc.args[0])  # fmt: skip
                    raise
                log.warning("committed offsets not known yet (attempt %d): %s", attempt, exc.args[0])
        for tp in committed:
            offset = tp.offset if tp.offset >= 0 else -2  # OFFSET_BEGINNING when nothing committed
            self._consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
            self._chains[(tp.topic, tp.partition)] = ChainWriter(
                f"{tp.topic}/{tp.partition}", ChainHead.from_metadata(tp.metadata)
            )
            self._positions.reset(tp.topic, tp.partition, tp.offset)

    # -- main loop -----------------------------------------------------------------------------
    def run(
        self,
        stop: threading.Event | None = None,
        max_events: int | None = None,
        idle_timeout: float | None = None,
    ) -> RouterStats:
        """Route until ``stop`` is set, ``max_events`` were consumed, or input was idle that long."""
        stop = stop or threading.Event()
        log.info("%s", native.STATUS)  # which codec and search this worker runs
        self._producer.init_transactions(60)
        self._consumer.subscribe(
            self._ingress, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke
        )
        last_input = time.monotonic()
        try:
            while not stop.is_set():
                if max_events is not None and self.stats.consumed >= max_events:
                    break
                messages = next_batch(
                    self._consumer,
                    self.settings.batch_max_events,
                    self.settings.batch_max_ms / 1000,
                    self.settings.batch_linger_ms / 1000,
                )
                records = [Inbound.of(m) for m in messages if m.error() is None]
                last_input = max(last_input, self._assigned_at)
                for m in messages:
                    error = m.error()
                    if error is not None and error.code() != KafkaError._PARTITION_EOF:
                        log.warning("consumer error: %s", error)
                        if error.fatal() or error.code() == KafkaError._FATAL:
                            # librdkafka stops a fenced static member for good (its own join retried
                            # across a coordinator stall can fence it): exit, so the worker restarts
                            # fresh, instead of idling forever on a dead consumer
                            log.error("fatal consumer error, stopping this worker: %s", error)
                            raise KafkaException(error)
                if not records:
                    if not self._chains:  # no partitions yet (joining the group): not idle
                        last_input = time.monotonic()
                    elif idle_timeout is not None and time.monotonic() - last_input > idle_timeout:
                        break
                    else:
                        self._stop_if_stalled(last_input)
                    continue
                last_input = time.monotonic()
                self._transact(records)
        finally:
            self.close()
        return self.stats

    def _stop_if_stalled(self, last_input: float) -> None:
        """Stop a supervised worker whose consumer reads nothing while input waits.

        Seen once after a whole-cluster restart: partitions assigned, no error reported, nothing
        fetched for minutes. A worker idle past ``stall_exit_seconds`` compares its committed
        offsets with the partitions' ends every third of that limit; if records wait (or the
        coordinator does not answer), it stops so its supervisor restarts it. Nothing of the
        waiting input was consumed, so nothing is lost or repeated. In-process routers never stop.
        """
        limit = self.settings.stall_exit_seconds
        now = time.monotonic()
        if limit is None or now - last_input < limit or now - self._stall_checked < limit / 3:
            return
        self._stall_checked = now
        try:
            waiting = self._waiting_records()
        except KafkaException as exc:  # the coordinator or a leader does not answer either
            log.error(
                "%s: nothing read for %.0f s and %s, stopping this worker",
                STALLED_CONSUMER,
                now - last_input,
                exc,
            )
            raise
        if waiting:
            log.error(
                "%s: nothing read for %.0f s while %d record(s) wait, stopping this worker",
                STALLED_CONSUMER,
                now - last_input,
                waiting,
            )
            raise ConsumerStalled(f"{STALLED_CONSUMER}: {waiting} record(s) wait unread")

    def _waiting_records(self) -> int:
        """Records on the assigned partitions past this group's committed offsets."""
        committed = self._consumer.committed(self._consumer.assignment(), timeout=30)
        waiting = 0
        for tp in committed:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=10
            )
            waiting += max(0, high - (tp.offset if tp.offset >= 0 else low))
        return waiting

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already closed
            self._consumer.close()
        self._producer.flush(10)

    # -- one batch -----------------------------------------------------------------------------
    def _transact(self, records: list[Inbound]) -> None:
        """Route ``records`` in one transaction; while a batch some record of which the broker
        refused is being redone, one record per transaction, so the refusal names its record."""
        if not self._isolate:
            self._route_batch(records)
            return
        for record in records:
            if not self._route_batch([record]):
                break  # aborted and rewound: the rest of this list will be read again
        self._isolate = {
            tp: last for tp, last in self._isolate.items() if (self._positions.next_offset(*tp) or 0) <= last
        }

    def _route_batch(self, records: list[Inbound]) -> bool:
        """Decide and commit ``records``; False when the batch aborted (and was rewound)."""
        fresh, repeated = self._positions.admit([m.source for m in records])
        if repeated:
            log.error(
                "%d record(s) handed out again below their committed position, skipped (decided "
                "once already): %s", len(repeated), ", ".join(str(r) for r in repeated[:10]),
            )  # fmt: skip
            records = [records[i] for i in fresh]
            if not records:
                return True
        recent = self._recent
        if recent is not None:
            recent.discard()  # nothing staged survives a batch that did not commit
        limits, dead_letters, refused = self._limits, self.settings.dead_letter_topic, self._refused
        outcomes = [
            (m, fit(self._decider.decide(m.source, m.key, m.value, m.headers, recent=recent),
                    m.source, limits, dead_letters, refused))
            for m in records
        ]  # fmt: skip
        started = time.perf_counter()
        with self._stall_watch():
            return self._commit_batch(outcomes, started)

    @contextlib.contextmanager
    def _stall_watch(self) -> Iterator[None]:
        limit = self.settings.stall_exit_seconds
        if limit is None:
            yield
            return
        faulthandler.dump_traceback_later(limit, exit=True)  # a C-level timer: works while blocked
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()

    @contextlib.contextmanager
    def _step_limit(self, seconds: float) -> Iterator[None]:
        """Tighten the stall exit to ``seconds`` for one step, then give the rest of the batch the
        whole limit again (faulthandler keeps one timer; arming it again replaces it)."""
        limit = self.settings.stall_exit_seconds
        if limit is None:
            yield
            return
        faulthandler.dump_traceback_later(min(seconds, limit), exit=True)
        try:
            yield
        finally:
            faulthandler.dump_traceback_later(limit, exit=True)

    def _commit_batch(self, outcomes: list[tuple[Inbound, Outcome]], started: float) -> bool:
        committing = False
        try:
            self._producer.begin_transaction()
            offsets = self._write(outcomes)
            # an offsets step that failed leaves the transaction open: abort it and redo the batch
            with self._step_limit(OFFSETS_STEP_EXIT_SECONDS):
                self._producer.send_offsets_to_transaction(
                    offsets, self._consumer.consumer_group_metadata(), OFFSETS_STEP_TIMEOUT
                )
            committing = True
            self._committing()
        except KafkaException as exc:
            error = exc.args[0]
            if error.fatal():
                log.error("fatal transaction error (fenced by another worker?): %s", error)
                raise
            if committing and error.retriable() and not error.txn_requires_abort():
                # still undecided after every retry: neither commit nor abort can be called now, so
                # stop; the restarted worker's init fences this producer and settles the transaction
                log.error("the transaction's outcome is still unknown, stopping this worker: %s", error)
                raise
            log.warning("transaction aborted, batch will be consumed again: %s", error)
            if self._recent is not None:
                self._recent.discard()
            self.stats.aborts += 1
            if self.metrics is not None:
                self.metrics.aborts.inc()
            self._aborting()
            self._settle_refusals([m.source for m, _ in outcomes])
            self._rewind()
            return False
        if self._recent is not None:
            self._recent.commit()
        self._positions.commit()
        self._refused.clear()
        self._refusals.clear()
        elapsed = time.perf_counter() - started
        self.stats.commit_seconds += elapsed
        self._count(outcomes)
        if self.metrics is not None:
            self._observe(outcomes, elapsed)
        if self._on_commit is not None:
            self._on_commit(self.stats)
        return True

    def _aborting(self) -> None:
        """Abort, calling abort again while librdkafka says it timed out and can be resumed.

        A fatal error (INVALID_TXN_STATE after a cluster restart: the coordinator had finished the
        previous transaction late and this one never reached it) leaves the producer unusable: stop,
        and the restarted worker's init settles the transaction.
        """
        for attempt in range(1, ABORT_ATTEMPTS + 1):
            try:
                self._producer.abort_transaction(30)
                return
            except KafkaException as exc:
                error = exc.args[0]
                if error.fatal():
                    log.error("fatal transaction error (the abort failed): %s", error)
                    raise
                if not error.retriable() or attempt == ABORT_ATTEMPTS:
                    log.warning("abort failed: %s", error)
                    return
                log.warning("abort did not finish (attempt %d), aborting again: %s", attempt, error)

    def _committing(self) -> None:
        """Commit, calling commit again while librdkafka calls its failure retriable.

        A timed-out commit goes on in the background and its outcome is unknown: librdkafka then
        waits for the same call again (which returns once the commit is known), not an abort.
        """
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                self._producer.commit_transaction(60)
                return
            except KafkaException as exc:
                error = exc.args[0]
                if not error.retriable() or error.txn_requires_abort() or attempt == TRANSACTION_ATTEMPTS:
                    raise
                log.warning("commit did not finish (attempt %d), committing again: %s", attempt, error)

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Any = None,
        source: Source | None = None,
    ) -> None:
        """Produce one record in the open transaction; a record the client or broker refuses for what
        it is (too large, invalid) is remembered by its ingress ``source``, so the batch's redo
        writes it reduced or denies it."""
        on_delivery = None if source is None else self._watch_refusal(topic, source)
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=on_delivery)
                return
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exc:
                if source is not None and exc.args[0].code() in REFUSED_RECORD:
                    self._refused[(topic, str(source))] = f"refused by the client: {exc.args[0].str()}"
                raise

    def _watch_refusal(self, topic: str, source: Source) -> Callable[[KafkaError | None, Message], None]:
        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None and error.code() in REFUSED_RECORD:
                self._refusals[(topic, str(source))] = f"refused by the broker: {error.str()}"
                log.warning("%s refused a record of %s: %s", topic, source, error.str())

        return delivered

    def _settle_refusals(self, sources: list[Source]) -> None:
        """After an abort: a refusal in a one-record transaction is that record's; in a larger one
        the broker refuses a whole produce batch, innocent records with it, so the batch is redone
        one record per transaction to find which."""
        self._producer.poll(0)  # serve delivery reports still queued
        seen, self._refusals = self._refusals, {}
        if not seen:
            return
        if len(sources) == 1:
            self._refused.update(seen)
            return
        for source in sources:
            tp = (source.topic, source.partition)
            self._isolate[tp] = max(self._isolate.get(tp, -1), source.offset)
        log.warning("the broker refused a record of a %d-record batch; redoing it one record per "
                    "transaction to find which", len(sources))  # fmt: skip

    def _write(self, outcomes: list[tuple[Inbound, Outcome]]) -> list[TopicPartition]:
        """Produce everything a batch decided, seal the chains, and return offsets to commit."""
        partner_records = [(m.source, rec) for m, o in outcomes for rec in o.partner_records]
        for start in range(0, len(partner_records), PROVENANCE_CHUNK):
            chunk = partner_records[start : start + PROVENANCE_CHUNK]
            sealed = self._signer.seal([(key, value) for _, (_, key, value) in chunk])
            for (source, (topic, key, value)), headers in zip(chunk, sealed, strict=True):
                self._produce(topic, key, value, headers, source)
        touched: dict[tuple[str, int], ChainWriter] = {}
        firsts: dict[tuple[str, int], int] = {}
        positions: dict[tuple[str, int], int] = {}
        for message, outcome in outcomes:
            tp = (message.source.topic, message.source.partition)
            chain = self._chains.get(tp)
            if chain is None:  # assigned before our callback ran (should not happen); start fresh
                self._load_chains([TopicPartition(tp[0], tp[1])])
                chain = self._chains[tp]
            if outcome.dead_letter is not None:
                dl_key, dl_value, dl_headers = outcome.dead_letter
                self._produce(self.settings.dead_letter_topic, dl_key, dl_value, dl_headers, message.source)
            entry = chain.append(outcome.audit_kind, outcome.audit_body)
            self._produce(self.settings.audit_topic, chain.chain.encode(), entry)
            touched[tp] = chain
            firsts.setdefault(tp, message.source.offset)
            positions[tp] = message.source.offset + 1
        now = int(time.time() * 1000)
        key_id = self._signer.key_id
        txn = self.settings.transactional_id
        for tp, chain in touched.items():
            batch = {"txn": txn, "first": firsts[tp], "last": positions[tp] - 1}
            seal = chain.seal(self._ledger_key, key_id, now, batch)
            self._produce(self.settings.audit_topic, chain.chain.encode(), seal)
        return [
            TopicPartition(topic, partition, offset, touched[(topic, partition)].head.to_metadata())
            for (topic, partition), offset in positions.items()
        ]

    def _observe(self, outcomes: list[tuple[Inbound, Outcome]], elapsed: float) -> None:
        """Update the Prometheus metrics for one committed batch, and its dead letters' log lines."""
        metrics = self.metrics
        assert metrics is not None
        metrics.commit_seconds.observe(elapsed)
        metrics.events_in.inc(len(outcomes))
        for message, outcome in outcomes:
            if outcome.rejection is not None:
                metrics.dead_letters.labels(outcome.rejection.reason.value).inc()
                log.warning(
                    "dead letter",
                    extra={"source": str(message.source), "reason": outcome.rejection.reason.value},
                )
            for topic, _, _ in outcome.partner_records:
                metrics.records_out.labels(topic).inc()
            for delivered in outcome.audit_body.get("delivered", ()):
                metrics.withheld.labels(delivered["partner"]).inc(len(delivered["withheld"]))
            for denied in outcome.audit_body.get("denied", ()):
                metrics.denied.labels(denied["partner"]).inc()
        for tp, (low, high) in self._watermarks().items():
            metrics.lag.labels(tp).set(max(0, high - low))

    def _watermarks(self) -> dict[str, tuple[int, int]]:
        """Position and end offset of each assigned partition (cached by librdkafka: no request)."""
        result: dict[str, tuple[int, int]] = {}
        for tp in self._consumer.position(self._consumer.assignment()):
            _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            if tp.offset >= 0 and high >= 0:
                result[f"{tp.topic}/{tp.partition}"] = (tp.offset, high)
        return result

    def _count(self, outcomes: list[tuple[Inbound, Outcome]]) -> None:
        stats = self.stats
        stats.transactions += 1
        stats.consumed += len(outcomes)
        for _, outcome in outcomes:
            if outcome.rejection is not None:
                stats.dead_letters += 1
                reason = outcome.rejection.reason.value
                stats.by_reason[reason] = stats.by_reason.get(reason, 0) + 1
            for topic, _, _ in outcome.partner_records:
                stats.delivered += 1
                stats.by_partner[topic] = stats.by_partner.get(topic, 0) + 1
