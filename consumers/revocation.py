"""Revoked partners: the persisted list the runtime denies, and their entries on the audit ledger.

The list is ``revocations.json`` under ``$PENTAMETER_HOME`` (beside the key store whose keys a
revocation destroys, so it covers every deployment that store serves). The runtime gives the policy
engine a watch on it (``RevocationStore.watch``), so routers deny a revoked partner every event
(``R1-revoked``), running ones within ``WATCH_INTERVAL``; ``acls apply`` leaves revoked partners
out, so nothing re-grants them. Revocation is one-way: there is no command to undo it.

Ledger. Each revocation is one ``revocation`` entry on the audit topic, in a chain of its own
(``partner-revocation``; the per-partition chains belong to the router, ``dlq-replay`` to replays),
sealed with the router's key in the same Kafka transaction, so ``audit verify`` keeps passing. The
transactional producer is initialised (fencing another revocation still running) before the chain
head is read from the topic, so two operators revoking at once cannot fork the chain.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException, Producer

from consumers.ledger import ChainHead, ChainWriter
from consumers.topic_reader import read_topic
from infra.files import write_atomically
from schemas.provenance import Signer

REVOCATIONS_FILE = "revocations.json"
WATCH_INTERVAL = 1.0
"""Seconds within which a running router notices a revocation (see ``RevocationStore.watch``)."""
REVOCATION_CHAIN = "partner-revocation"
REVOCATION_KIND = "revocation"
TRANSACTIONAL_ID = "pentameter-partner-revocation"


class RevocationStore:
    """Partner id -> what its revocation did and when, persisted as one JSON object."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def under(cls, home: Path) -> RevocationStore:
        return cls(home / REVOCATIONS_FILE)

    def load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a JSON object; restore it from the audit ledger")
        return {str(k): dict(v) for k, v in data.items()}

    def partners(self) -> frozenset[str]:
        """Every revoked partner id."""
        return frozenset(self.load())

    def watch(self, interval: float = WATCH_INTERVAL) -> Callable[[], frozenset[str]]:
        """A callable returning the revoked partners, reading the file again only when it changed
        and at most every ``interval`` seconds (cheap enough to ask once per routed event)."""
        state: dict[str, Any] = {
            "checked": time.monotonic(),
            "stamp": self._stamp(),
            "partners": self.partners(),
        }

        def current() -> frozenset[str]:
            now = time.monotonic()
            if now - state["checked"] >= interval:
                state["checked"] = now
                stamp = self._stamp()
                if stamp != state["stamp"]:
                    state["stamp"], state["partners"] = stamp, self.partners()
            partners: frozenset[str] = state["partners"]
            return partners

        return current

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    def add(self, partner: str, details: dict[str, Any]) -> None:
        """Record ``partner`` as revoked (atomically: the list is never seen half-written)."""
        data = self.load()
        data[partner] = details
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


@dataclass
class RevocationChain:
    """The ``partner-revocation`` chain as found on the audit topic."""

    head: ChainHead = field(default_factory=ChainHead)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_chain(client: dict[str, Any], audit_topic: str) -> RevocationChain:
    """The chain's head and its revocation entries by partner (entries share one partition)."""
    chain = RevocationChain()
    needle = REVOCATION_CHAIN.encode()
    for record in read_topic(client, audit_topic):
        if record.key != needle or not record.value:
            continue
        entry = json.loads(record.value)
        if entry.get("chain") != REVOCATION_CHAIN:
            continue
        chain.head = ChainHead(int(entry["seq"]) + 1, str(entry["hash"]))
        if entry.get("kind") == REVOCATION_KIND:
            chain.entries[str(entry["partner"])] = entry
    return chain


def record_revocation(
    client: dict[str, Any],
    audit_topic: str,
    transactional_id: str,
    signer: Signer,
    partner: str,
    body: dict[str, Any],
    at_ms: int,
) -> dict[str, Any]:
    """Append ``partner``'s revocation entry and a seal in one transaction; returns the entry
    (the one already there when an earlier call recorded it: a partner is revoked once)."""
    producer = Producer({**client, "transactional.id": transactional_id, "transaction.timeout.ms": 60000})
    try:
        producer.init_transactions(60)  # fence first, then read the head
        found = read_chain(client, audit_topic)
        if partner in found.entries:
            return found.entries[partner]
        writer = ChainWriter(REVOCATION_CHAIN, found.head)
        raw = writer.append(REVOCATION_KIND, {"partner": partner, "at": at_ms, **body})
        producer.begin_transaction()
        try:
            producer.produce(audit_topic, key=REVOCATION_CHAIN.encode(), value=raw)
            seal = writer.seal(signer.private_key, signer.key_id, at_ms)
            producer.produce(audit_topic, key=REVOCATION_CHAIN.encode(), value=seal)
            producer.commit_transaction(60)
        except KafkaException:
            with contextlib.suppress(KafkaException):
                producer.abort_transaction(30)
            raise
        entry: dict[str, Any] = json.loads(raw)
        return entry
    finally:
        producer.flush(10)
