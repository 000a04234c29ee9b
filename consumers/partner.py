"""The partner SDK: read your own topic, prove where each record came from, open what is yours.

A partner receives single-object Avro records projected for it by the router. For each record
this SDK: checks the router's provenance (batch-signed Merkle proof, as for agency events);
resolves the projection schema by fingerprint (from the governance topic or a given catalogue);
decrypts the fields the agreement encrypted for this partner with the partner's own key; and
surfaces the review date, on which the agreement tells the partner to review or delete the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message

from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.exceptions import WireError
from schemas.provenance import KeyLookup, ProvenanceError, Verifier
from schemas.wire import Codec

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
    ) -> None:
        self.partner = partner
        self._codec = Codec(catalogue)
        self._verifier = Verifier(router_keys)
        self._opener = opener
        self._encrypted_paths = encrypted_paths

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
            entry, record = self._codec.decode(value)
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


class PartnerConsumer:
    """Subscribes to a partner's topic in the partner's own consumer group, committed reads only.

    Without ``group_id`` it reads in a fresh group of its own, named under the partner's group
    (``partner_group(..., fresh=True)`` with ``topic_prefix``) so the secure cluster allows it.
    """

    def __init__(
        self,
        client_config: dict[str, Any],
        topic: str,
        reader: PartnerReader,
        group_id: str | None = None,
        from_beginning: bool = True,
        topic_prefix: str = "",
    ) -> None:
        self.topic = topic
        self.reader = reader
        self._consumer = Consumer(
            {
                **client_config,
                "group.id": group_id or partner_group(reader.partner, topic_prefix, fresh=True),
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest" if from_beginning else "latest",
                "enable.auto.commit": True,
            }
        )
        self._consumer.subscribe([topic])

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

    def records(
        self, idle_timeout: float = 5.0, limit: int | None = None
    ) -> Iterator[PartnerRecord | RejectedRecord]:
        """Yield records until none arrive for ``idle_timeout`` seconds (or ``limit`` is reached)."""
        count = 0
        while limit is None or count < limit:
            batch = self._consumer.consume(500, idle_timeout)
            if not batch:
                return
            for message in batch:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        raise RuntimeError(f"reading {self.topic}: {error}")
                    continue
                count += 1
                yield self._convert(message)

    def close(self) -> None:
        self._consumer.close()
