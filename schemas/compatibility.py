"""Avro schema-resolution compatibility: can a reader schema read data of a writer schema?

Follows the resolution rules of the Avro specification, so that what this module accepts is what
fastavro (or any Avro library) will actually read:

* named types match as in Apache Avro's ``SchemaCompatibility``: by unqualified name, or by a
  reader alias (qualified in the reader's namespace) equal to the writer's full name, so a reader
  ``a.New`` aliasing ``Old`` does not read a writer ``b.Old``;
* each reader field is read from the writer field of the same name or of one of its aliases; a
  reader field matching two writer fields is refused (fastavro cannot decode it), one the writer
  lacks needs a default; writer fields the reader lacks are skipped;
* primitives match exactly or by promotion: int -> long, float, double; long -> float, double;
  float -> double; string <-> bytes;
* an enum reader must know every writer symbol, unless it has an enum default;
* arrays and maps compare their items / values; fixed types compare name and size;
* a writer union is readable when each of its branches is; a reader union reads a writer type
  when one of its branches does.

One rule is stricter than the specification: a changed logical type (``timestamp-millis`` to
``timestamp-micros``, adding ``date`` to an int) is reported, because the bytes would resolve but
the values would be silently wrong.

Modes (as in schema registries): BACKWARD (the new schema reads data written with the old),
FORWARD (the old schema reads data written with the new), FULL (both), each against the previous
version only, or ``*_TRANSITIVE`` against every earlier version. NONE checks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schemas.fields import describe_type
from schemas.naming import (
    PRIMITIVES,
    Schema,
    definition_name,
    named_types,
    namespace_of,
    qualify,
    resolve,
    short_name,
    type_of,
)


class CompatibilityMode(StrEnum):
    """How the versions of one schema name must relate to each other."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        """True when a new version is checked against every earlier version."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """True when the new version must read data of older versions."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """True when older versions must read data of the new version."""
        return self.value.startswith(("FORWARD", "FULL"))


PROMOTIONS: Mapping[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
"""Writer primitive -> reader primitives it may be read as (Avro specification)."""


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader cannot read a writer, at a field path (see :mod:`schemas.fields`).

    ``rule`` is a stable identifier (for tests and tooling); ``reader``/``writer`` describe the
    two sides at that path; ``symbols`` lists enum symbols or union branches involved.
    """

    path: str
    rule: str
    reader: str
    writer: str
    symbols: tuple[str, ...] = ()


RULES = {
    "reader_field_missing_default": "a reader field is absent from the writer and has no default",
    "reader_field_ambiguous": "a reader field's name and aliases match more than one writer field",
    "type_mismatch": "the writer's type cannot be read as the reader's type",
    "name_mismatch": "named types differ in name and no alias joins them",
    "missing_enum_symbols": "the writer has enum symbols the reader lacks, and no enum default",
    "fixed_size_mismatch": "fixed types differ in size",
    "missing_union_branch": "a type the writer may write matches no branch of the reader",
    "logical_type_changed": "the logical type changed (stricter than the Avro spec)",
}
"""Every rule identifier with its meaning."""


def _names_match(reader: Mapping[str, Any], writer: Mapping[str, Any]) -> bool:
    """Avro's rule: the same unqualified name, or a reader alias naming the writer's full name.

    An alias without a dot lives in the reader's namespace, so it cannot reach a writer type of
    another namespace (Apache Avro 1.12 reports NAME_MISMATCH there; fastavro would read it).
    """
    r_full, w_full = definition_name(reader, None), definition_name(writer, None)
    if short_name(r_full) == short_name(w_full):
        return True
    namespace = namespace_of(r_full)
    return w_full in {qualify(str(a), namespace) for a in reader.get("aliases", [])}


class _Checker:
    """Compares one reader schema with one writer schema, collecting every incompatibility."""

    def __init__(self, reader: Schema, writer: Schema) -> None:
        self.rnames = named_types(reader)
        self.wnames = named_types(writer)
        self.found: list[Incompatibility] = []
        self._seen: set[tuple[int, int]] = set()

    def describe(self, node: Schema, names: Mapping[str, dict[str, Any]]) -> str:
        return describe_type(node, names)

    def issue(self, path: str, rule: str, reader: Schema, writer: Schema, *sym: str) -> None:
        self.found.append(
            Incompatibility(
                path=path,
                rule=rule,
                reader=self.describe(reader, self.rnames),
                writer=self.describe(writer, self.wnames),
                symbols=tuple(sym),
            )
        )

    def check(self, reader: Schema, writer: Schema, path: str) -> None:
        reader = resolve(reader, self.rnames)
        writer = resolve(writer, self.wnames)
        if isinstance(reader, dict) and isinstance(writer, dict) and "fields" in writer:
            key = (id(reader), id(writer))
            if key in self._seen:  # a record pair is checked once: recursive types terminate
                return
            self._seen.add(key)
        if isinstance(writer, list):
            for branch in writer:
                branch = resolve(branch, self.wnames)
                if isinstance(reader, list) or self._matches(reader, branch):
                    self.check(reader, branch, path)
                else:
                    self.issue(
                        path,
                        "missing_union_branch",
                        reader,
                        writer,
                        self.describe(branch, self.wnames),
                    )
            return
        if isinstance(reader, list):
            self.check_reader_union(reader, writer, path)
            return
        rkind, wkind = type_of(reader), type_of(writer)
        if rkind in PRIMITIVES or wkind in PRIMITIVES:
            self.check_primitive(reader, writer, rkind, wkind, path)
        elif rkind != wkind and not {rkind, wkind} <= {"record", "error"}:
            self.issue(path, "type_mismatch", reader, writer)
        elif rkind in ("record", "error"):
            self.check_record(reader, writer, path)
        elif rkind == "enum":
            self.check_enum(reader, writer, path)
        elif rkind == "fixed":
            if not _names_match(reader, writer):
                self.issue(path, "name_mismatch", reader, writer)
            elif reader["size"] != writer["size"]:
                self.issue(path, "fixed_size_mismatch", reader, writer)
            else:
                self.check_logical(reader, writer, path)
        elif rkind == "array":
            self.check(reader["items"], writer["items"], path + "[]")
        elif rkind == "map":
            self.check(reader["values"], writer["values"], path + "{}")

    def check_primitive(self, reader: Schema, writer: Schema, rkind: str, wkind: str, path: str) -> None:
        if rkind == wkind or rkind in PROMOTIONS.get(wkind, frozenset()):
            self.check_logical(reader, writer, path)
        else:
            self.issue(path, "type_mismatch", reader, writer)

    def check_logical(self, reader: Schema, writer: Schema, path: str) -> None:
        r = reader.get("logicalType") if isinstance(reader, dict) else None
        w = writer.get("logicalType") if isinstance(writer, dict) else None
        if r != w:
            self.issue(path, "logical_type_changed", reader, writer)

    def _matches(self, reader: Schema, writer: Schema) -> bool:
        """Avro's branch-selection test: same kind and name, or a primitive promotion."""
        reader = resolve(reader, self.rnames)
        rkind, wkind = type_of(reader), type_of(writer)
        if rkind in PRIMITIVES or wkind in PRIMITIVES:
            return rkind == wkind or rkind in PROMOTIONS.get(wkind, frozenset())
        if rkind != wkind:
            return False
        if rkind in ("record", "error", "enum", "fixed"):
            return _names_match(reader, writer)
        return True

    def check_reader_union(self, reader: list[Schema], writer: Schema, path: str) -> None:
        candidates = [b for b in reader if self._matches(b, writer)]
        best: list[Incompatibility] | None = None
        for branch in candidates:
            sub = _Checker.__new__(_Checker)
            sub.rnames, sub.wnames, sub.found = self.rnames, self.wnames, []
            sub._seen = set(self._seen)
            sub.check(branch, writer, path)
            if not sub.found:
                return
            if best is None:
                best = sub.found
        if best is not None:
            self.found.extend(best)
        else:
            self.issue(path, "missing_union_branch", reader, writer, self.describe(writer, self.wnames))

    def check_record(self, reader: Mapping[str, Any], writer: Mapping[str, Any], path: str) -> None:
        if not _names_match(reader, writer):
            self.issue(path, "name_mismatch", reader, writer)
            return
        wfields = {str(f["name"]): f for f in writer["fields"]}
        for rfield in reader["fields"]:
            name = str(rfield["name"])
            fpath = f"{path}.{name}" if path else name
            candidates = [name, *(str(a) for a in rfield.get("aliases", []))]
            matched = [c for c in candidates if c in wfields]
            if len(matched) > 1:
                self.issue(fpath, "reader_field_ambiguous", rfield["type"], writer, *matched)
            elif not matched:
                if "default" not in rfield:
                    self.issue(fpath, "reader_field_missing_default", rfield["type"], "null")
            else:
                self.check(rfield["type"], wfields[matched[0]]["type"], fpath)

    def check_enum(self, reader: Mapping[str, Any], writer: Mapping[str, Any], path: str) -> None:
        if not _names_match(reader, writer):
            self.issue(path, "name_mismatch", reader, writer)
            return
        missing = [s for s in writer["symbols"] if s not in set(reader["symbols"])]
        if missing and "default" not in reader:
            self.issue(path, "missing_enum_symbols", reader, writer, *missing)


def reader_writer_incompatibilities(reader: Schema, writer: Schema) -> list[Incompatibility]:
    """Every reason ``reader`` cannot read data written with ``writer`` (empty when it can)."""
    checker = _Checker(reader, writer)
    checker.check(reader, writer, "")
    return checker.found


def can_read(reader: Schema, writer: Schema) -> bool:
    """True when data written with ``writer`` can be read with ``reader``."""
    return not reader_writer_incompatibilities(reader, writer)


@dataclass(frozen=True)
class Finding:
    """An incompatibility between two versions of one schema, in the words of a person.

    ``direction`` is BACKWARD (the new version reads old data) or FORWARD (the old version reads
    new data); ``str()`` gives for example::

        IntelligenceReport v3 vs v2 (BACKWARD): field 'narrative' added without a default:
        a v3 reader cannot read v2 data
    """

    name: str
    new_version: int
    old_version: int
    direction: str
    incompatibility: Incompatibility

    @property
    def path(self) -> str:
        """Field path at fault ("" for the whole record)."""
        return self.incompatibility.path

    @property
    def rule(self) -> str:
        """Rule identifier (a key of :data:`RULES`)."""
        return self.incompatibility.rule

    @property
    def message(self) -> str:
        """What changed and why it breaks, without the version prefix."""
        inc = self.incompatibility
        new, old = f"v{self.new_version}", f"v{self.old_version}"
        backward = self.direction == "BACKWARD"
        reader, writer = (new, old) if backward else (old, new)
        new_type, old_type = (inc.reader, inc.writer) if backward else (inc.writer, inc.reader)
        where = f"field '{inc.path}'" if inc.path else "the record"
        symbols = ", ".join(inc.symbols)
        if inc.rule == "reader_field_missing_default":
            what = (
                f"{where} added without a default"
                if backward
                else f"{where} removed, and {old} gives it no default"
            )
        elif inc.rule == "missing_enum_symbols":
            what = (
                f"{where}: enum {inc.reader} lost symbols {symbols} and has no enum default"
                if backward
                else f"{where}: enum gained symbols {symbols} that {old} does not know, and "
                f"{old} has no enum default"
            )
        elif inc.rule == "missing_union_branch":
            what = (
                f"{where}: {old} may write {symbols}, which {new} ({new_type}) cannot hold"
                if backward
                else f"{where}: {new} may write {symbols}, which {old} ({old_type}) cannot hold"
            )
        elif inc.rule == "reader_field_ambiguous":
            what = f"{where}: its name and aliases match the {old if backward else new} fields {symbols}"
        elif inc.rule == "name_mismatch":
            what = f"{where}: type renamed from {old_type} to {new_type} without an alias"
        elif inc.rule == "fixed_size_mismatch":
            what = f"{where}: fixed size changed ({old_type} to {new_type})"
        elif inc.rule == "logical_type_changed":
            what = f"{where}: logical type changed from {old_type} to {new_type}"
        else:
            what = f"{where} changed type from {old_type} to {new_type}"
        return f"{what}: a {reader} reader cannot read {writer} data"

    def __str__(self) -> str:
        return f"{self.name} v{self.new_version} vs v{self.old_version} ({self.direction}): {self.message}"


def check_new_version(
    name: str,
    new: tuple[int, Schema],
    history: Sequence[tuple[int, Schema]],
    mode: CompatibilityMode,
) -> list[Finding]:
    """Check version ``new`` = (version, schema) against the earlier ``history`` under ``mode``.

    ``history`` is in version order; only the last is used unless the mode is transitive.
    """
    if mode is CompatibilityMode.NONE or not history:
        return []
    olds = history if mode.transitive else history[-1:]
    new_version, new_schema = new
    findings: list[Finding] = []
    for old_version, old_schema in reversed(olds):
        if mode.backward:
            for inc in reader_writer_incompatibilities(new_schema, old_schema):
                findings.append(Finding(name, new_version, old_version, "BACKWARD", inc))
        if mode.forward:
            for inc in reader_writer_incompatibilities(old_schema, new_schema):
                findings.append(Finding(name, new_version, old_version, "FORWARD", inc))
    return findings


def check_history(
    name: str, versions: Sequence[tuple[int, Schema]], mode: CompatibilityMode
) -> list[Finding]:
    """Check every version of a history (in version order) against the ones before it."""
    ordered = sorted(versions, key=lambda v: v[0])
    findings: list[Finding] = []
    for i in range(1, len(ordered)):
        findings.extend(check_new_version(name, ordered[i], ordered[:i], mode))
    return findings
