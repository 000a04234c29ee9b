"""Dead letters for operators: read them, explain them, and replay the ones whose cause was fixed.

A dead letter (see :mod:`consumers.deadletter`) keeps the original key, value and headers of an
ingress record plus why and where it was refused. This module reads the dead-letter topic into
:class:`DeadLetter` objects and replays selected ones.

Replay re-validates each dead letter *now* with the router's own decision code
(:meth:`consumers.runtime.Runtime.decider`); one that passes is produced again, with its original
key, value and headers, to the partition of the ingress topic it was read from, where the router
routes it like any other record. Those still refused are reported with their current reason.

Exactly once. Every replay is one Kafka transaction (transactional id
``<prefix>pentameter-dlq-replay``) holding the re-produced records and one ``replay`` note per
record on the audit topic, in a chain of its own (``dlq-replay``; the per-partition chains belong to
the router), sealed with the router's key so ``audit verify`` keeps passing. The note names the
dead letter, so a dead letter already named in a note is never replayed again. The transactional
producer is initialised (fencing any other replay still running) *before* the audit topic is read,
so two operators replaying at once cannot both miss each other's notes: the later one either sees
the earlier one's committed notes or makes its commit fail.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaException, Producer

from clikit.humane import iso
from consumers.deadletter import original_headers, read_rejection
from consumers.decisions import Source
from consumers.ledger import ChainHead, ChainWriter
from consumers.runtime import ROUTER_IDENTITY, Runtime
from consumers.topic_reader import read_topic
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from schemas.provenance import Signer
from schemas.wire import Codec

REPLAY_CHAIN = "dlq-replay"
REPLAY_KIND = "replay"
TRANSACTIONAL_ID = "pentameter-dlq-replay"


def parse_source(source: str) -> tuple[str, int, int] | None:
    """``topic/partition@offset`` -> (topic, partition, offset); None when malformed."""
    try:
        where, offset = source.rsplit("@", 1)
        topic, partition = where.rsplit("/", 1)
        return topic, int(partition), int(offset)
    except ValueError:
        return None


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic, with what its headers say about it."""

    partition: int
    offset: int
    timestamp_ms: int
    at_ms: int
    reason: str
    detail: str
    source: str
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    agency: str | None
    event_id: str | None
    event_type: str | None
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the agency sent (provenance included), without the dead-letter ones."""
        return original_headers(self.headers)

    def summary(self) -> dict[str, Any]:
        """The listing row as plain JSON-able values."""
        return {
            "partition": self.partition,
            "offset": self.offset,
            "at": iso(self.at_ms) if self.at_ms > 0 else None,
            "source": self.source,
            "agency": self.agency,
            "reason": self.reason,
            "detail": self.detail,
            "event_id": self.event_id,
            "event_type": self.event_type,
        }


def _decode_event(codec: Codec, value: bytes | None) -> tuple[str | None, str | None]:
    """(event id, event type) when the value decodes as an event, else (None, None)."""
    if not value:
        return None, None
    try:
        entry, record = codec.decode(value)
        envelope = record.get("envelope")
        if not isinstance(envelope, dict):
            return None, entry.name
        event_id = envelope.get("event_id")
        return (str(event_id) if event_id is not None else None), entry.name
    except Exception:  # any undecodable body: the listing shows what it can
        return None, None


def dead_letter_topic(runtime: Runtime) -> str:
    return runtime.topic(DEAD_LETTER_TOPIC)


def audit_topic(runtime: Runtime) -> str:
    return runtime.topic(AUDIT_TOPIC)


def load_dead_letters(runtime: Runtime, topic: str | None = None) -> list[DeadLetter]:
    """Every dead letter now on the topic, in partition and offset order."""
    codec = Codec(runtime.catalogue)
    agencies = runtime.ingress_topics
    letters = []
    for record in read_topic(runtime.client, topic or dead_letter_topic(runtime)):
        verdict = read_rejection(record.headers)
        if verdict is None:
            reason, detail, source, at_ms = "?", "record carries no dead-letter headers", "", 0
        else:
            rejection, source, at_ms = verdict
            reason, detail = rejection.reason.value, rejection.detail
        where = parse_source(source)
        event_id, event_type = _decode_event(codec, record.value)
        letters.append(
            DeadLetter(
                partition=record.partition,
                offset=record.offset,
                timestamp_ms=record.timestamp_ms,
                at_ms=at_ms,
                reason=reason,
                detail=detail,
                source=source,
                source_topic=where[0] if where else None,
                source_partition=where[1] if where else None,
                source_offset=where[2] if where else None,
                agency=agencies.get(where[0]) if where else None,
                event_id=event_id,
                event_type=event_type,
                key=record.key,
                value=record.value,
                headers=record.headers,
            )
        )
    return letters


def select(
    letters: Iterable[DeadLetter], agency: str | None = None, reason: str | None = None
) -> list[DeadLetter]:
    """The dead letters of ``agency`` (ingress topic's agency) and/or with ``reason``."""
    return [
        d
        for d in letters
        if (agency is None or d.agency == agency) and (reason is None or d.reason == reason)
    ]


# -- replay ---------------------------------------------------------------------------------------


@dataclass
class ReplayState:
    """The ``dlq-replay`` chain as found on the audit topic: its head and what it already replayed."""

    head: ChainHead = field(default_factory=ChainHead)
    replayed: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)


def replay_state(runtime: Runtime) -> ReplayState:
    """Read the audit topic for the ``dlq-replay`` chain (its entries share one partition, in order)."""
    state = ReplayState()
    needle = REPLAY_CHAIN.encode()
    for record in read_topic(runtime.client, audit_topic(runtime)):
        if record.key != needle or not record.value:
            continue
        entry = json.loads(record.value)
        if entry.get("chain") != REPLAY_CHAIN:
            continue
        state.head = ChainHead(int(entry["seq"]) + 1, str(entry["hash"]))
        if entry.get("kind") == REPLAY_KIND:
            state.replayed[(int(entry["dlq_partition"]), int(entry["dlq_offset"]))] = entry
    return state


@dataclass(frozen=True)
class ReplayResult:
    """What replay did (or, with ``--dry-run``, would do) with one dead letter."""

    letter: DeadLetter
    status: str  # replayed | would_replay | still_invalid | already_replayed
    reason: str | None = None
    detail: str | None = None
    event_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "offset": self.letter.offset,
            "partition": self.letter.partition,
            "source": self.letter.source,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "event_id": self.event_id,
        }


def _transactional_producer(runtime: Runtime) -> Producer:
    producer = Producer(
        {
            **runtime.client,
            "transactional.id": runtime.topic(TRANSACTIONAL_ID),
            "transaction.timeout.ms": 60000,
        }
    )
    producer.init_transactions(60)
    return producer


def replay(runtime: Runtime, letters: Sequence[DeadLetter], dry_run: bool = False) -> list[ReplayResult]:
    """Re-validate ``letters`` now and re-produce, in one transaction, those that pass."""
    producer = None if dry_run else _transactional_producer(runtime)  # fence first, then read
    state = replay_state(runtime)
    decider = runtime.decider()
    results: list[ReplayResult] = []
    passing: list[tuple[DeadLetter, str | None]] = []
    seen: set[tuple[int, int]] = set()
    for letter in letters:
        ident = (letter.partition, letter.offset)
        if ident in state.replayed or ident in seen:
            done = state.replayed.get(ident, {})
            results.append(ReplayResult(letter, "already_replayed", event_id=done.get("replayed_event_id")))
            continue
        seen.add(ident)
        if letter.source_topic is None or letter.source_partition is None or letter.source_offset is None:
            results.append(
                ReplayResult(
                    letter, "still_invalid", "unknown_source", f"unreadable source {letter.source!r}"
                )
            )
            continue
        source = Source(letter.source_topic, letter.source_partition, letter.source_offset)
        outcome = decider.decide(source, letter.key, letter.value, letter.original_headers)
        if outcome.rejection is not None:
            rejection = outcome.rejection
            results.append(ReplayResult(letter, "still_invalid", rejection.reason.value, rejection.detail))
            continue
        event_id = outcome.audit_body.get("event_id")
        passing.append((letter, str(event_id) if event_id is not None else None))
    if dry_run or producer is None:
        results += [ReplayResult(d, "would_replay", event_id=e) for d, e in passing]
        return _in_order(letters, results)
    if passing:
        _commit_replay(runtime, producer, state.head, passing)
    results += [ReplayResult(d, "replayed", event_id=e) for d, e in passing]
    return _in_order(letters, results)


def _in_order(letters: Sequence[DeadLetter], results: list[ReplayResult]) -> list[ReplayResult]:
    rank = {(d.partition, d.offset): i for i, d in reversed(list(enumerate(letters)))}
    return sorted(results, key=lambda r: rank.get((r.letter.partition, r.letter.offset), 0))


def _commit_replay(
    runtime: Runtime, producer: Producer, head: ChainHead, passing: list[tuple[DeadLetter, str | None]]
) -> None:
    signer = Signer(ROUTER_IDENTITY, runtime.keys.signing_key(ROUTER_IDENTITY))
    chain = ChainWriter(REPLAY_CHAIN, head)
    audit = audit_topic(runtime)
    dlq = dead_letter_topic(runtime)
    now = int(time.time() * 1000)
    try:
        producer.begin_transaction()
        for letter, event_id in passing:
            assert letter.source_topic is not None and letter.source_partition is not None
            producer.produce(
                letter.source_topic,
                value=letter.value,
                key=letter.key,
                headers=list[tuple[str, str | bytes | None]](letter.original_headers),
                partition=letter.source_partition,
            )
            note = chain.append(
                REPLAY_KIND,
                {
                    "dead_letter": f"{dlq}/{letter.partition}@{letter.offset}",
                    "dlq_partition": letter.partition,
                    "dlq_offset": letter.offset,
                    "source": letter.source,
                    "reason": letter.reason,
                    "replayed_event_id": event_id,
                    "at": now,
                },
            )
            producer.produce(audit, key=REPLAY_CHAIN.encode(), value=note)
        producer.produce(
            audit, key=REPLAY_CHAIN.encode(), value=chain.seal(signer.private_key, signer.key_id, now)
        )
        producer.commit_transaction(60)
    except KafkaException:
        with contextlib.suppress(KafkaException):
            producer.abort_transaction(30)
        raise
