"""The partner SDK: read your own topic, prove where each record came from, open what is yours.

A partner receives single-object Avro records projected for it by the router. For each record
this SDK: checks the router's provenance (batch-signed Merkle proof, as for agency events);
resolves the projection schema by fingerprint (from the governance topic or a given catalogue);
decrypts the fields the agreement encrypted for this partner with the partner's own key; and
surfaces the review date, on which the agreement tells the partner to review or delete the record.

:class:`PartnerConsumer` makes the partner's own handling exactly once: it commits a record's
offset only after the caller handled it, drops an event it already handed out and was told was
handled (:mod:`consumers.partner_state`), and never hands out a record whose review (delete) date
has passed: it counts it, logs where it was (never its values) and commits past it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from consumers.exceptions import ReadFailed
from consumers.partner_state import SeenEvents
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.exceptions import UnknownFingerprint, WireError
from schemas.provenance import KeyLookup, ProvenanceError, Verifier
from schemas.wire import Codec

log = logging.getLogger("pentameter.partner")
FieldOpener = Callable[[str, str, bytes], bytes]
"""(event id, field path, ciphertext) -> plaintext, with this partner's key; raises if it cannot."""
EncryptedPaths = Callable[[SchemaEntry], tuple[str, ...]]
"""Which top-level-or-nested field paths of a projection schema hold ciphertext."""


@dataclass(frozen=True)
class PartnerRecord:
    """One record as the partner may use it."""

    topic: str
    partition: int
    offset: int
    schema: str
    record: dict[str, Any]
    provenance_key: str
    review_date: date | None
    opened: tuple[str, ...] = ()
    unopened: dict[str, str] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        envelope = self.record.get("envelope")
        source = envelope if isinstance(envelope, dict) else self.record
        return str(source.get("event_id"))

    @property
    def delete_on(self) -> date | None:
        """The partner must review, and unless its agreement says otherwise delete, on this date."""
        return self.review_date


@dataclass(frozen=True)
class RejectedRecord:
    """A record on the partner topic that failed provenance or decoding (never used silently)."""

    topic: str
    partition: int
    offset: int
    reason: str


def _get_path(record: dict[str, Any], path: str) -> list[tuple[dict[str, Any], str, str]]:
    """Containers, keys and concrete paths (``phones[1].number``) of the leaves at ``path``.

    The concrete path is what the router bound into the ciphertext's authenticated data.
    """
    holders: list[tuple[dict[str, Any], str]] = [(record, "")]
    parts = path.split(".")
    for part in parts[:-1]:
        step: list[tuple[dict[str, Any], str]] = []
        is_array = part.endswith("[]")
        name = part.removesuffix("[]")
        for holder, prefix in holders:
            value = holder.get(name)
            here = f"{prefix}.{name}" if prefix else name
            if is_array and isinstance(value, list):
                step.extend((v, f"{here}[{i}]") for i, v in enumerate(value) if isinstance(v, dict))
            elif isinstance(value, dict):
                step.append((value, here))
        holders = step
    leaf = parts[-1]
    return [
        (h, leaf, f"{prefix}.{leaf}" if prefix else leaf)
        for h, prefix in holders
        if isinstance(h.get(leaf), bytes | bytearray)
    ]


def _review_date(record: dict[str, Any]) -> date | None:
    envelope = record.get("envelope")
    source = envelope if isinstance(envelope, dict) else record
    value = source.get("review_date")
    return value if isinstance(value, date) else None


class PartnerReader:
    """Verifies, decodes and opens records of one partner's topic (no Kafka I/O of its own)."""

    def __init__(
        self,
        partner: str,
        catalogue: Catalogue,
        router_keys: KeyLookup,
        opener: FieldOpener | None,
        encrypted_paths: EncryptedPaths,
        refresh: Callable[[], object] | None = None,
    ) -> None:
        self.partner = partner
        self._codec = Codec(catalogue)
        self._verifier = Verifier(router_keys)
        self._opener = opener
        self._encrypted_paths = encrypted_paths
        self._refresh = refresh

    def _decode(self, value: bytes) -> tuple[SchemaEntry, dict[str, Any]]:
        """Decode, reading the governance topic again (``refresh``) once when the record names a
        schema published after this reader started (an agreement changed while it ran)."""
        try:
            return self._codec.decode(value)
        except UnknownFingerprint:
            if self._refresh is None:
                raise
            self._refresh()
            return self._codec.decode(value)

    def read(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
    ) -> PartnerRecord | RejectedRecord:
        if value is None:
            return RejectedRecord(topic, partition, offset, "record has no value")
        try:
            proven = self._verifier.verify(key, value, headers)
        except ProvenanceError as exc:
            return RejectedRecord(topic, partition, offset, f"provenance: {exc}")
        try:
            entry, record = self._decode(value)
        except WireError as exc:
            return RejectedRecord(topic, partition, offset, f"decode: {exc}")
        opened: list[str] = []
        unopened: dict[str, str] = {}
        event_id = str((record.get("envelope") or record).get("event_id"))
        for path in self._encrypted_paths(entry):
            for holder, leaf, concrete in _get_path(record, path):
                if self._opener is None:
                    unopened[concrete] = "no key given"
                    continue
                try:
                    holder[leaf] = self._opener(event_id, concrete, bytes(holder[leaf])).decode("utf-8")
                    opened.append(concrete)
                except Exception as exc:  # a revoked or wrong key: keep the ciphertext, say why
                    unopened[concrete] = f"{type(exc).__name__}: {exc}"
        return PartnerRecord(
            topic,
            partition,
            offset,
            entry.label,
            record,
            proven.key_id,
            _review_date(record),
            tuple(opened),
            unopened,
        )


def _bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def partner_group(partner: str, topic_prefix: str = "", fresh: bool = False) -> str:
    """The partner's own consumer group (``<prefix>pentameter-partner-<id>``), or with ``fresh`` a
    new one under it (``...-<random>``): the secure cluster grants a partner exactly these."""
    group = f"{topic_prefix}pentameter-partner-{partner}"
    return f"{group}-{uuid.uuid4().hex[:8]}" if fresh else group


START_STORED, START_BEGINNING, START_END = "stored", "beginning", "end"
Start = str | int
"""Where a consumer starts on each partition it is first assigned: the group's committed offset
(``stored``, else the earliest), ``beginning``, ``end``, or an absolute offset (an ``int``)."""
COMMIT_EVERY = 100
"""Handled records between two offset commits (and at most a second apart): what a killed partner
reads again, and drops as already handled."""
Item = PartnerRecord | RejectedRecord


@dataclass
class ConsumerStats:
    """What a partner consumer did with the records it read."""

    handed_out: int = 0
    duplicates: int = 0
    """Redelivered events dropped: already handled (the window of :class:`SeenEvents`)."""
    expired: int = 0
    """Records not handed out because their review (delete) date had passed."""
    commits: int = 0


def expired(record: PartnerRecord, today: date) -> bool:
    """True when ``today`` is on or after the record's delete date: the partner may no longer hold
    it (the router sends no record on or after its review date either)."""
    return record.delete_on is not None and record.delete_on <= today


class PartnerConsumer:
    """Subscribes to a partner's topic in the partner's own consumer group, committed reads only,
    and commits a record's offset only once the caller has handled it.

    Without ``group_id`` it reads in a fresh group of its own, named under the partner's group
    (``partner_group(..., fresh=True)`` with ``topic_prefix``) so the secure cluster allows it.

    Handling is acknowledged in one of two ways: :meth:`records` acknowledges each item when the
    caller asks for the next one (commit-on-next), or at the end of the loop; with :meth:`poll`
    the caller calls :meth:`ack` itself. Acknowledged offsets are committed every ``commit_every``
    records, at most a second apart, when input goes idle and on :meth:`close`, after
    ``before_commit`` (the caller's sink made durable). With ``seen`` an event already handled is
    dropped when it comes again; a record whose review date has passed is never handed out.
    """

    def __init__(
        self,
        client_config: dict[str, Any],
        topic: str,
        reader: PartnerReader,
        group_id: str | None = None,
        from_beginning: bool = True,
        topic_prefix: str = "",
        start: Start = START_STORED,
        seen: SeenEvents | None = None,
        before_commit: Callable[[], None] | None = None,
        commit_every: int = COMMIT_EVERY,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.topic = topic
        self.reader = reader
        self.stats = ConsumerStats()
        self._seen = seen
        self._before_commit = before_commit
        self._commit_every = commit_every
        self._today = today
        self._start = start
        self._started: set[int] = set()
        self._acked = 0
        self._last_commit = time.monotonic()
        self._consumer = Consumer(
            {
                **client_config,
                "group.id": group_id or partner_group(reader.partner, topic_prefix, fresh=True),
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest" if from_beginning else "latest",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
            }
        )
        self._consumer.subscribe([topic], on_assign=self._on_assign)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Place each partition at ``start`` the first time it is assigned (later rebalances go on
        from the committed offsets, as a group does)."""
        if self._start == START_STORED:
            return
        for tp in partitions:
            if tp.partition in self._started:
                continue
            self._started.add(tp.partition)
            if self._start == START_BEGINNING:
                tp.offset = OFFSET_BEGINNING
            elif self._start == START_END:
                tp.offset = OFFSET_END
            else:
                tp.offset = int(self._start)
        consumer.assign(partitions)

    def _convert(self, message: Message) -> PartnerRecord | RejectedRecord:
        raw = message.headers()
        headers = [(k, _bytes(v) or b"") for k, v in raw] if isinstance(raw, list) else None
        return self.reader.read(
            str(message.topic()),
            int(message.partition() or 0),
            int(message.offset() or 0),
            _bytes(message.key()),
            _bytes(message.value()),
            headers,
        )

    def poll(self, timeout: float) -> Item | None:
        """The next record to handle (None when none came within ``timeout``). Already handled
        events and records past their review date are acknowledged here and never returned."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._consumer.poll(max(0.0, deadline - time.monotonic()))
            if message is None:
                self._commit_if_due(idle=True)
                return None
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    raise ReadFailed(f"reading {self.topic}: {error}")
                continue
            item = self._convert(message)
            if isinstance(item, PartnerRecord) and self._seen is not None and item.event_id in self._seen:
                self.stats.duplicates += 1
                self.ack(item)
                continue
            if isinstance(item, PartnerRecord) and expired(item, self._today()):
                self.stats.expired += 1
                log.warning("record past its review date not handed out: %s/%s@%s (%s)",
                            item.topic, item.partition, item.offset, item.schema)  # fmt: skip
                self.ack(item)
                continue
            self.stats.handed_out += 1
            return item

    def ack(self, item: Item) -> None:
        """The caller handled ``item``: its offset may be committed, its event is remembered."""
        if isinstance(item, PartnerRecord) and self._seen is not None:
            self._seen.add(item.event_id)
        self._consumer.store_offsets(offsets=[TopicPartition(item.topic, item.partition, item.offset + 1)])
        self._acked += 1
        self._commit_if_due()

    def commit(self) -> None:
        """Commit every acknowledged offset now (the caller's sink first made durable)."""
        if self._before_commit is not None:
            self._before_commit()
        if self._seen is not None:
            self._seen.sync()
        try:
            self._consumer.commit(asynchronous=False)
            self.stats.commits += 1
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:  # nothing acknowledged since the last
                raise
        self._acked = 0
        self._last_commit = time.monotonic()

    def _commit_if_due(self, idle: bool = False) -> None:
        if self._acked and (
            idle or self._acked >= self._commit_every or time.monotonic() - self._last_commit > 1
        ):
            self.commit()

    def records(
        self, idle_timeout: float | None = 5.0, limit: int | None = None, stop: threading.Event | None = None
    ) -> Iterator[Item]:
        """Yield records until none arrive for ``idle_timeout`` seconds (None: keep reading),
        ``limit`` were handed out, or ``stop`` is set; each is acknowledged when the caller asks for
        the next one (or the loop ends that way). A caller that breaks out of the loop, or raises,
        leaves the item in hand unacknowledged: it is read again next time, unless acked first."""
        count = 0
        while (limit is None or count < limit) and not (stop is not None and stop.is_set()):
            item = self.poll(idle_timeout if idle_timeout is not None else 1.0)
            if item is None:
                if idle_timeout is None:
                    continue
                return
            count += 1
            yield item  # an exception the caller raises here leaves the item unacknowledged
            self.ack(item)

    def __enter__(self) -> PartnerConsumer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit what was handled, then leave the group."""
        with contextlib.suppress(KafkaException, RuntimeError):
            self.commit()
        self._consumer.close()
        if self._seen is not None:
            self._seen.close()
