"""Facts about a schema's leaf types that agreements are checked against.

Kept apart from :mod:`schemas.fields` (which describes types for people) because the policy
engine needs them in a form it can test: is this a string, a list of strings, a date?
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.entry import SchemaEntry
from schemas.exceptions import UnknownFieldPath
from schemas.fields import FieldInfo
from schemas.naming import non_null_branches, resolve, type_of


@dataclass(frozen=True)
class LeafType:
    """The non-null type of a field: ``kind`` is an Avro type name (``record`` for a record-valued
    field); for arrays ``kind`` is ``array`` and ``item`` the item's kind."""

    kind: str
    item: str | None
    logical: str | None
    symbols: tuple[str, ...] | None
    named: str | None
    nullable: bool

    @property
    def is_string(self) -> bool:
        """A plain string (not an enum, not a uuid)."""
        return self.kind == "string" and self.logical is None

    @property
    def is_string_list(self) -> bool:
        """An array of plain strings."""
        return self.kind == "array" and self.item == "string"

    @property
    def carries_text(self) -> bool:
        """A string or a list of strings: values that can be searched for in free text."""
        return self.is_string or self.is_string_list

    @property
    def is_datelike(self) -> bool:
        """A date or a timestamp."""
        return self.logical in ("date", "timestamp-millis", "timestamp-micros")

    def describe(self) -> str:
        """Short text for error messages."""
        if self.kind == "array":
            return f"array<{self.item}>"
        if self.logical:
            return f"{self.kind}({self.logical})"
        return self.kind


def leaf_type(entry: SchemaEntry, path: str) -> LeafType:
    """The type of field ``path`` of ``entry`` (raises UnknownFieldPath)."""
    return type_of_node(entry.field(path).schema, entry.names)


def type_of_node(node: Any, names: Any) -> LeafType:
    """LeafType of an Avro schema node (resolving names)."""
    node = resolve(node, names)
    nullable = isinstance(node, list) and "null" in node
    branches = non_null_branches(node)
    if len(branches) != 1:
        return LeafType("union", None, None, None, None, nullable)
    inner = resolve(branches[0], names)
    kind = type_of(inner)
    logical = inner.get("logicalType") if isinstance(inner, dict) else None
    if kind == "array":
        item = resolve(inner["items"], names)
        item_kind = type_of(item)
        symbols = tuple(item["symbols"]) if item_kind == "enum" else None
        named = str(item["name"]) if isinstance(item, dict) and "name" in item else None
        return LeafType("array", item_kind, None, symbols, named, nullable)
    if kind == "enum":
        return LeafType("enum", None, None, tuple(inner["symbols"]), str(inner["name"]), nullable)
    named = str(inner["name"]) if isinstance(inner, dict) and "name" in inner else None
    return LeafType(kind, None, logical, None, named, nullable)


def find(entry: SchemaEntry, path: str) -> FieldInfo | None:
    """The field at ``path`` or None."""
    try:
        return entry.field(path)
    except UnknownFieldPath:
        return None
