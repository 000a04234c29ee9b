"""One version of one schema, ready to use: expanded JSON, canonical form, fingerprint, parsed.

Everything a hot path needs (the fastavro-parsed schema, the 8 fingerprint bytes) is computed
once here, when the catalogue is built, and never per record.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fastavro.schema import fingerprint as _fingerprint
from fastavro.schema import parse_schema, to_parsing_canonical_form

from schemas import native
from schemas.compatibility import CompatibilityMode
from schemas.exceptions import UnknownFieldPath
from schemas.fields import FieldInfo, walk_fields
from schemas.naming import Schema, named_types, short_name

DOCUMENT_FORMAT = "pentameter.schema/1"
"""Format tag of a schema document (see :meth:`SchemaEntry.to_document`)."""


def fingerprint_of(schema: Schema) -> tuple[str, bytes]:
    """Return (Parsing Canonical Form, CRC-64-AVRO fingerprint as the 8 wire bytes).

    The single-object encoding writes the 64-bit fingerprint little-endian; fastavro's hex digest
    is already in that byte order, so the bytes here are exactly what appears on the wire.
    """
    canonical = to_parsing_canonical_form(schema)
    return canonical, bytes.fromhex(_fingerprint(canonical, "CRC-64-AVRO"))


@dataclass(frozen=True, eq=False)
class SchemaEntry:
    """A schema version in the catalogue.

    ``name`` is the catalogue name: for event schemas the record's short name, which is also
    the EventType symbol (``IntelligenceReport``); for registered schemas whatever name they were
    registered under. ``schema`` is the expanded standalone JSON (docs and sensitivity marks
    included); ``parsed`` the fastavro-parsed form used to encode and decode.
    ``kind`` is ``event`` for the repository's event schemas, otherwise what the registrant said
    (the policy engine uses ``projection``).
    """

    name: str
    version: int
    schema: Mapping[str, Any]
    canonical_form: str
    fingerprint: bytes
    compatibility: CompatibilityMode
    kind: str
    origin: str
    parsed: Any = field(repr=False)

    @classmethod
    def build(
        cls,
        name: str,
        version: int,
        schema: Mapping[str, Any],
        *,
        compatibility: CompatibilityMode,
        kind: str,
        origin: str,
    ) -> SchemaEntry:
        """Build an entry from an expanded schema (parses it, so invalid Avro raises here)."""
        owned = copy.deepcopy(dict(schema))
        parsed = parse_schema(copy.deepcopy(owned), named_schemas={})
        canonical, fp = fingerprint_of(owned)
        return cls(
            name=name,
            version=version,
            schema=owned,
            canonical_form=canonical,
            fingerprint=fp,
            compatibility=compatibility,
            kind=kind,
            origin=origin,
            parsed=parsed,
        )

    @cached_property
    def program(self) -> native.core.Program | None:
        """The schema compiled for the native codec (once per version), or None where it is off
        or the schema has what it does not run (see :mod:`schemas.native`)."""
        return native.program(self.parsed)

    @property
    def full_name(self) -> str:
        """Full Avro name of the top-level record, e.g. org.pentameter.events.Arrest."""
        return str(self.schema["name"])

    @property
    def record_name(self) -> str:
        """Short Avro name of the top-level record."""
        return short_name(self.full_name)

    @property
    def fingerprint_hex(self) -> str:
        """Fingerprint as 16 hex digits, in wire byte order."""
        return self.fingerprint.hex()

    @property
    def label(self) -> str:
        """``Name vN``, the way people refer to a schema version."""
        return f"{self.name} v{self.version}"

    @cached_property
    def names(self) -> dict[str, dict[str, Any]]:
        """Named types defined in the schema, by full name."""
        return named_types(self.schema)

    @cached_property
    def all_fields(self) -> tuple[FieldInfo, ...]:
        """Every field path, record-valued ones included, parents first."""
        return tuple(walk_fields(self.schema, self.names))

    @cached_property
    def leaf_fields(self) -> tuple[FieldInfo, ...]:
        """Every leaf field path (see :mod:`schemas.fields`)."""
        return tuple(f for f in self.all_fields if f.is_leaf)

    @cached_property
    def _by_path(self) -> dict[str, FieldInfo]:
        return {f.path: f for f in self.all_fields}

    def field(self, path: str) -> FieldInfo:
        """The field at ``path`` (leaf or record-valued); raises UnknownFieldPath."""
        try:
            return self._by_path[path]
        except KeyError:
            raise UnknownFieldPath(f"{self.label} has no field {path!r}") from None

    @cached_property
    def sensitivity(self) -> dict[str, frozenset[str]]:
        """Static marks of every leaf path (an empty set for unmarked leaves)."""
        return {f.path: f.marks for f in self.leaf_fields}

    def to_document(self) -> dict[str, Any]:
        """The JSON document that lets anyone resolve this version without the repository."""
        return {
            "format": DOCUMENT_FORMAT,
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "compatibility": self.compatibility.value,
            "fingerprint": self.fingerprint_hex,
            "schema": copy.deepcopy(dict(self.schema)),
        }
