"""The schema catalogue: every schema version, found by name, (name, version) or fingerprint.

The catalogue is built from the repository (:func:`load_catalogue`), from schema documents
published on the governance topic (:meth:`Catalogue.from_documents`), or both; schemas can be
registered at runtime (the policy engine registers partner projection schemas). Lookups are plain
dict reads, so the router may call them per record; registration takes a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.compatibility import CompatibilityMode, Finding, check_history, check_new_version
from schemas.entry import DOCUMENT_FORMAT, SchemaEntry
from schemas.exceptions import (
    CatalogueError,
    FingerprintMismatch,
    IncompatibleSchema,
    SchemaDefinitionError,
    UnknownFingerprint,
    UnknownSchema,
)
from schemas.fields import FieldInfo
from schemas.lint import lint
from schemas.naming import SchemaNameError, expand
from schemas.repository import load_repository

FingerprintLike = bytes | str | int
"""A fingerprint as 8 wire bytes, 16 hex digits (wire order) or the unsigned 64-bit value."""


def fingerprint_bytes(fingerprint: FingerprintLike) -> bytes:
    """Normalise a fingerprint to its 8 wire bytes (little-endian CRC-64-AVRO)."""
    if isinstance(fingerprint, bytes):
        raw = fingerprint
    elif isinstance(fingerprint, int):
        raw = fingerprint.to_bytes(8, "little", signed=fingerprint < 0)
    else:
        raw = bytes.fromhex(fingerprint)
    if len(raw) != 8:
        raise ValueError(f"a CRC-64-AVRO fingerprint has 8 bytes, got {len(raw)}")
    return raw


class Catalogue:
    """All known schema versions, with their compatibility modes.

    Names: event schemas use their record's short name (``IntelligenceReport``), which is also
    their EventType symbol; ``get`` also accepts the full Avro name.
    """

    def __init__(self, entries: Iterable[SchemaEntry] = ()) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, dict[int, SchemaEntry]] = {}
        self._latest: dict[str, SchemaEntry] = {}
        self._by_fingerprint: dict[bytes, SchemaEntry] = {}
        self._full_names: dict[str, str] = {}
        self._modes: dict[str, CompatibilityMode] = {}
        for entry in entries:
            self._add(entry)

    # -- building -----------------------------------------------------------------------------

    def _add(self, entry: SchemaEntry) -> None:
        """Insert an entry (caller holds the lock or owns the catalogue)."""
        versions = self._versions.setdefault(entry.name, {})
        existing = versions.get(entry.version)
        if existing is not None and existing.fingerprint != entry.fingerprint:
            raise CatalogueError(
                f"{entry.label} is already registered with fingerprint "
                f"{existing.fingerprint_hex}, not {entry.fingerprint_hex}: published versions "
                "never change; register a new version instead"
            )
        owner = self._by_fingerprint.get(entry.fingerprint)
        if owner is not None and owner.name != entry.name:
            raise CatalogueError(
                f"{entry.label} has the same fingerprint ({entry.fingerprint_hex}) as "
                f"{owner.label}: one schema cannot be registered under two names"
            )
        versions[entry.version] = entry
        if entry.name not in self._latest or entry.version >= self._latest[entry.name].version:
            self._latest[entry.name] = entry
        self._by_fingerprint.setdefault(entry.fingerprint, entry)
        self._full_names.setdefault(entry.full_name, entry.name)
        self._modes[entry.name] = self._latest[entry.name].compatibility

    @classmethod
    def from_directory(cls, root: Path | None = None) -> Catalogue:
        """Load the repository rooted at ``root`` (default: this package's directory)."""
        return cls(load_repository(root))

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> Catalogue:
        """Rebuild a catalogue from schema documents (see :meth:`SchemaEntry.to_document`).

        Each document's fingerprint is recomputed and must match; compatibility is not
        re-checked (the publisher checked it), so documents may arrive in any order.
        """
        entries = [entry_from_document(doc) for doc in documents]
        entries.sort(key=lambda e: (e.name, e.version))
        return cls(entries)

    def to_documents(self) -> list[dict[str, Any]]:
        """One JSON-ready document per schema version, in name and version order."""
        return [e.to_document() for e in self]

    def add(self, entry: SchemaEntry) -> SchemaEntry:
        """Insert an already-built entry as is (no compatibility check), e.g. one read from the
        governance topic, where the publisher checked it. Returns the entry."""
        with self._lock:
            self._add(entry)
        return entry

    def register(
        self,
        schema: Mapping[str, Any],
        *,
        name: str | None = None,
        version: int | None = None,
        compatibility: CompatibilityMode | None = None,
        kind: str = "projection",
        shared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> SchemaEntry:
        """Add a schema at runtime and return its entry.

        ``name`` defaults to the record's full name; ``version`` to one more than the latest.
        Registering a schema identical (same fingerprint) to an existing version of the same name
        returns that version, so registration is idempotent. ``compatibility`` defaults to the
        name's current mode, or NONE for a new name; the new version must satisfy it
        (IncompatibleSchema otherwise). Sensitivity marks must come from the closed list. Named
        types the schema references but does not define may be passed in ``shared``.
        """
        try:
            expanded = expand(dict(schema), shared or {})
        except (SchemaNameError, KeyError, TypeError) as exc:
            raise SchemaDefinitionError(str(schema.get("name")), [str(exc)]) from None
        reg_name = name or str(expanded["name"])
        problems = lint(expanded, require_docs=False)
        if problems:
            raise SchemaDefinitionError(reg_name, problems)
        with self._lock:
            mode = compatibility or self._modes.get(reg_name, CompatibilityMode.NONE)
            history = sorted(self._versions.get(reg_name, {}).values(), key=lambda e: e.version)
            candidate_version = version or (history[-1].version + 1 if history else 1)
            entry = SchemaEntry.build(
                reg_name,
                candidate_version,
                expanded,
                compatibility=mode,
                kind=kind,
                origin="registered",
            )
            for old in history:
                if old.fingerprint == entry.fingerprint and version in (None, old.version):
                    return old
            earlier = [(e.version, e.schema) for e in history if e.version < candidate_version]
            findings = check_new_version(reg_name, (candidate_version, entry.schema), earlier, mode)
            if findings:
                raise IncompatibleSchema(
                    f"cannot register {entry.label} under {mode.value}:\n"
                    + "\n".join(f"  {f}" for f in findings),
                    findings,
                )
            self._add(entry)
            return entry

    # -- lookups ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[SchemaEntry]:
        for name in sorted(self._versions):
            yield from (self._versions[name][v] for v in sorted(self._versions[name]))

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._versions or name in self._full_names

    def names(self, kind: str | None = None) -> list[str]:
        """Catalogue names, sorted; only those of ``kind`` (e.g. "event") when given."""
        return sorted(n for n, e in self._latest.items() if kind is None or e.kind == kind)

    def event_types(self) -> list[str]:
        """Names of the event schemas (the EventType symbols in use)."""
        return self.names(kind="event")

    def _resolve_name(self, name: str) -> str:
        if name in self._versions:
            return name
        if name in self._full_names:
            return self._full_names[name]
        known = ", ".join(self.names()) or "none"
        raise UnknownSchema(f"no schema named {name!r} (known: {known})")

    def get(self, name: str, version: int | None = None) -> SchemaEntry:
        """The entry for ``name`` at ``version`` (the latest when None)."""
        resolved = self._resolve_name(name)
        if version is None:
            return self._latest[resolved]
        try:
            return self._versions[resolved][version]
        except KeyError:
            have = ", ".join(str(v) for v in sorted(self._versions[resolved]))
            raise UnknownSchema(f"{resolved} has no version {version} (has {have})") from None

    def latest(self, name: str) -> SchemaEntry:
        """The newest version of ``name``."""
        return self.get(name)

    def versions(self, name: str) -> tuple[SchemaEntry, ...]:
        """Every version of ``name``, oldest first."""
        resolved = self._resolve_name(name)
        return tuple(self._versions[resolved][v] for v in sorted(self._versions[resolved]))

    def mode(self, name: str) -> CompatibilityMode:
        """Compatibility mode declared for ``name``."""
        return self._modes[self._resolve_name(name)]

    def find_fingerprint(self, fingerprint: bytes) -> SchemaEntry | None:
        """Entry with these 8 wire bytes, or None. The cheap lookup for hot paths."""
        return self._by_fingerprint.get(fingerprint)

    def by_fingerprint(self, fingerprint: FingerprintLike) -> SchemaEntry:
        """Entry with this fingerprint; raises UnknownFingerprint."""
        raw = fingerprint_bytes(fingerprint)
        entry = self._by_fingerprint.get(raw)
        if entry is None:
            raise UnknownFingerprint(raw)
        return entry

    # -- fields and sensitivity ---------------------------------------------------------------

    def fields(
        self, name: str, version: int | None = None, *, include_records: bool = False
    ) -> tuple[FieldInfo, ...]:
        """Every leaf field path of a schema with its Avro type and marks (see schemas.fields).

        With ``include_records`` the record-valued paths (``envelope``, ``people[]`` parents)
        are listed too, parents before children.
        """
        entry = self.get(name, version)
        return entry.all_fields if include_records else entry.leaf_fields

    def sensitivity(self, name: str, version: int | None = None) -> dict[str, frozenset[str]]:
        """Static sensitivity marks of every leaf path (own plus inherited; empty if none).

        Value-dependent marks (a SUSPECT entity, a safe-house address) are on
        ``FieldInfo.conditional`` from :meth:`fields`.
        """
        return dict(self.get(name, version).sensitivity)

    # -- compatibility ------------------------------------------------------------------------

    def check(self, name: str | None = None) -> list[Finding]:
        """Check the version history of ``name`` (or of every name) under its declared mode."""
        names = [self._resolve_name(name)] if name else self.names()
        findings: list[Finding] = []
        for n in names:
            history = [(e.version, e.schema) for e in self.versions(n)]
            findings.extend(check_history(n, history, self.mode(n)))
        return findings


def entry_from_document(doc: Mapping[str, Any]) -> SchemaEntry:
    """Turn one schema document back into an entry, verifying its fingerprint."""
    if not isinstance(doc, Mapping) or doc.get("format") != DOCUMENT_FORMAT:
        raise CatalogueError(f"not a {DOCUMENT_FORMAT} schema document")
    try:
        name, version = str(doc["name"]), int(doc["version"])
        mode = CompatibilityMode(str(doc["compatibility"]))
        schema = doc["schema"]
        claimed = str(doc["fingerprint"])
        kind = str(doc.get("kind", "projection"))
    except (KeyError, ValueError, TypeError) as exc:
        raise CatalogueError(f"schema document is missing or has a bad field: {exc}") from None
    try:
        schema = expand(schema, {})
    except (SchemaNameError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{name} v{version}: not a standalone Avro schema: {exc}") from None
    problems = lint(schema, require_docs=False)
    if problems:
        raise SchemaDefinitionError(f"{name} v{version}", problems)
    try:
        entry = SchemaEntry.build(name, version, schema, compatibility=mode, kind=kind, origin="governance")
    except Exception as exc:  # fastavro reports invalid Avro with assorted exception types
        raise CatalogueError(f"{name} v{version}: not a valid Avro schema: {exc}") from None
    if entry.fingerprint_hex != claimed.lower():
        raise FingerprintMismatch(
            f"{name} v{version}: document claims fingerprint {claimed} but its schema has "
            f"{entry.fingerprint_hex}"
        )
    return entry


def load_catalogue(root: Path | None = None) -> Catalogue:
    """Load a fresh catalogue from a repository root (default: the package's own schemas)."""
    return Catalogue.from_directory(root)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The process-wide catalogue of the package's own schemas, loaded once.

    Runtime registrations on it are seen by everyone in the process (that is the point: the
    router registers projections and its encoder finds them).
    """
    return Catalogue.from_directory()
