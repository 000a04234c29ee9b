"""The catalogue as messages for a compacted governance topic, and back. No Kafka I/O here.

Each schema version is one message: the key is ``<name>/v<version>`` (UTF-8), the value the
schema document as compact, key-sorted JSON (see :meth:`schemas.entry.SchemaEntry.to_document`).
Keys are stable, so compaction keeps exactly one message per version, and a partner that reads
the topic from the beginning can resolve every fingerprint it will ever meet without the
repository. A tombstone (value None) withdraws a version when rebuilding from scratch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from schemas.catalogue import Catalogue, entry_from_document
from schemas.entry import SchemaEntry
from schemas.exceptions import CatalogueError, GovernanceMessageError

Message = tuple[bytes, bytes]
"""(key bytes, value bytes) as produced to the governance topic."""


def message_key(name: str, version: int) -> bytes:
    """The governance-topic key of one schema version."""
    return f"{name}/v{version}".encode()


def parse_key(key: bytes) -> tuple[str, int]:
    """(name, version) from a governance-topic key."""
    try:
        name, _, version = key.decode("utf-8").rpartition("/v")
        if not name:
            raise ValueError("no '/v' separator")
        return name, int(version)
    except (UnicodeDecodeError, ValueError) as exc:
        raise GovernanceMessageError(f"governance key {key!r} is not '<name>/v<version>': {exc}") from None


def entry_message(entry: SchemaEntry) -> Message:
    """The (key, value) message publishing ``entry``."""
    value = json.dumps(entry.to_document(), sort_keys=True, separators=(",", ":"))
    return message_key(entry.name, entry.version), value.encode("utf-8")


def catalogue_messages(catalogue: Catalogue, *, kinds: Iterable[str] | None = None) -> list[Message]:
    """One message per schema version of the catalogue (only of ``kinds`` when given)."""
    wanted = set(kinds) if kinds is not None else None
    return [entry_message(e) for e in catalogue if wanted is None or e.kind in wanted]


def parse_message(key: bytes, value: bytes) -> SchemaEntry:
    """Turn one governance message back into an entry, checking key, document and fingerprint."""
    name, version = parse_key(key)
    try:
        doc: Any = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GovernanceMessageError(f"{key.decode('utf-8', 'replace')}: value is not JSON: {exc}") from None
    try:
        entry = entry_from_document(doc)
    except CatalogueError as exc:
        raise GovernanceMessageError(f"{key.decode('utf-8', 'replace')}: {exc}") from exc
    if (entry.name, entry.version) != (name, version):
        raise GovernanceMessageError(
            f"key {key.decode()} carries the document of {entry.label}: key and value disagree"
        )
    return entry


def catalogue_from_messages(messages: Iterable[tuple[bytes, bytes | None]]) -> Catalogue:
    """Rebuild a catalogue from the topic read from the beginning (later messages win, a
    tombstone removes its key)."""
    latest: dict[bytes, bytes] = {}
    for key, value in messages:
        if value is None:
            latest.pop(key, None)
        else:
            latest[key] = value
    entries = [parse_message(k, v) for k, v in latest.items()]
    entries.sort(key=lambda e: (e.name, e.version))
    return Catalogue(entries)


def apply_message(catalogue: Catalogue, key: bytes, value: bytes | None) -> SchemaEntry | None:
    """Add one live governance message to a running catalogue; return the new entry.

    A tombstone is ignored (returns None): a running consumer keeps every schema it has seen,
    because data written with it may still be in flight. A version already present with the same
    fingerprint is a no-op; one with a different fingerprint raises (versions never change).
    """
    if value is None:
        return None
    entry = parse_message(key, value)
    try:
        existing = catalogue.get(entry.name, entry.version)
    except CatalogueError:
        existing = None
    if existing is not None:
        if existing.fingerprint != entry.fingerprint:
            raise GovernanceMessageError(
                f"{entry.label} on the governance topic has fingerprint {entry.fingerprint_hex} "
                f"but this catalogue has {existing.fingerprint_hex}"
            )
        return existing
    return catalogue.add(entry)
