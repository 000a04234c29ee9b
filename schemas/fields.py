"""Field paths of a schema, with their Avro type and sensitivity marks.

Path convention (used everywhere in Pentameter: agreements, projections, validation, audit):

* record fields are joined with dots: ``envelope.case_id``, ``grading.scheme``;
* an array of records adds ``[]`` and goes on: ``people[].name``;
* a map of records adds ``{}``: ``extra{}.value`` (no current schema has one);
* a nullable record (``["null", Record]``) is walked through transparently:
  ``handling_conditions.recipients`` (and its leaves are ``nullable``);
* an array or map of non-records is itself a leaf: ``exploitation_types``.

A *leaf* is a field whose type is not a record (or an array, map or nullable of one). Validation
issues use the same paths with concrete indexes instead of ``[]`` (``people[2].name``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.marks import VALUE_KIND_ATTRIBUTE, ValueKind
from schemas.naming import Schema, non_null_branches, resolve, short_name, type_of

_DATE_LOGICAL = frozenset({"date", "timestamp-millis", "timestamp-micros"})


@dataclass(frozen=True)
class ConditionalMarks:
    """Marks a field carries only while a sibling field of the same record instance has one of
    some values (see :mod:`schemas.marks`).

    ``scope`` is the path of the record instance ("" for the top level, ``people[]`` for each
    person); ``field`` the name of the deciding field inside it. The policy engine evaluates the
    condition per instance, e.g. per element of ``people``.
    """

    scope: str
    field: str
    values: frozenset[object]
    marks: frozenset[str]

    @property
    def condition_path(self) -> str:
        """Full path of the deciding field, e.g. ``people[].role``."""
        return f"{self.scope}.{self.field}" if self.scope else self.field


@dataclass(frozen=True)
class FieldInfo:
    """One field path of a schema.

    ``marks`` are the static marks (the field's own and its ancestors'); ``conditional`` are the
    marks that switch on by value. ``nullable`` says the value may be absent (the field or one of
    its ancestors may be null); ``repeated`` says it sits under an array or map.
    """

    path: str
    avro_type: str
    schema: Schema
    doc: str
    marks: frozenset[str]
    conditional: tuple[ConditionalMarks, ...]
    nullable: bool
    repeated: bool
    is_leaf: bool
    symbols: tuple[str, ...] | None
    has_default: bool
    value_kind: str | None = None
    """How the value is written (:class:`schemas.marks.ValueKind`) for a string, list of strings,
    date or timestamp leaf; None for other types."""

    def marks_when(self, values: Mapping[str, object]) -> frozenset[str]:
        """Marks that apply given the values of the deciding fields, keyed by condition path."""
        extra = [c.marks for c in self.conditional if values.get(c.condition_path) in c.values]
        return self.marks.union(*extra)


def describe_type(node: Schema, names: Mapping[str, dict[str, Any]]) -> str:
    """Short readable type: ``string``, ``long(timestamp-millis)``, ``enum<ForceArea>``,
    ``array<string>``, ``string?`` for a nullable string, ``union<int,string>``."""
    if isinstance(node, str) and node not in names:
        return node
    node = resolve(node, names)
    kind = type_of(node)
    if kind == "union":
        branches = non_null_branches(node)
        if len(branches) == 1 and len(node) == 2:
            return describe_type(branches[0], names) + "?"
        return "union<" + ",".join(describe_type(b, names) for b in node) + ">"
    if kind in ("record", "error", "enum", "fixed"):
        return f"{kind}<{short_name(node['name'])}>"
    if kind == "array":
        return f"array<{describe_type(node['items'], names)}>"
    if kind == "map":
        return f"map<{describe_type(node['values'], names)}>"
    logical = node.get("logicalType") if isinstance(node, dict) else None
    return f"{kind}({logical})" if logical else kind


def _record_inside(node: Schema, names: Mapping[str, dict[str, Any]]) -> tuple[Any, str, bool]:
    """If ``node`` holds records to descend into, return (record, path suffix, nullable).

    Handles Record, ["null", Record], array<Record>, map<Record> and nullable containers.
    Returns (None, "", False) for a leaf.
    """
    node = resolve(node, names)
    nullable = False
    if isinstance(node, list):
        branches = non_null_branches(node)
        if len(branches) != 1:
            return None, "", False
        nullable = len(node) == 2
        node = resolve(branches[0], names)
    kind = type_of(node)
    if kind in ("record", "error"):
        return node, "", nullable
    if kind in ("array", "map"):
        inner = resolve(node["items" if kind == "array" else "values"], names)
        if isinstance(inner, list):
            inner_branches = non_null_branches(inner)
            if len(inner_branches) != 1:
                return None, "", False
            inner = resolve(inner_branches[0], names)
            nullable = True
        if type_of(inner) in ("record", "error"):
            return inner, "[]" if kind == "array" else "{}", nullable
    return None, "", False


def value_kind_of(
    field: Mapping[str, Any], names: Mapping[str, dict[str, Any]], marks: frozenset[str]
) -> str | None:
    """The :class:`ValueKind` of a field: its ``value_kind`` attribute, else ``date`` for a date or
    timestamp, ``reference`` for a uuid, ``text`` for a string marked free_text and ``label`` for
    any other string (or list of strings); None for every other type."""
    declared = field.get(VALUE_KIND_ATTRIBUTE)
    node = resolve(field["type"], names)
    branches = non_null_branches(node) if isinstance(node, list) else [node]
    if len(branches) != 1:
        return None
    inner = resolve(branches[0], names)
    if type_of(inner) == "array":
        inner = resolve(inner["items"], names)
    logical = inner.get("logicalType") if isinstance(inner, dict) else None
    if logical in _DATE_LOGICAL:
        return ValueKind.DATE.value
    if type_of(inner) != "string":
        return None
    if isinstance(declared, str):
        return declared
    if logical == "uuid":
        return ValueKind.REFERENCE.value
    return (ValueKind.TEXT if "free_text" in marks else ValueKind.LABEL).value


def _conditionals(record: Mapping[str, Any], scope: str) -> list[tuple[set[str] | None, Any]]:
    rules = []
    for rule in record.get("conditional_sensitivity", []):
        only = set(rule["fields"]) if "fields" in rule else None
        cond = ConditionalMarks(
            scope=scope,
            field=str(rule["when"]["field"]),
            values=frozenset(rule["when"]["in"]),
            marks=frozenset(rule["marks"]),
        )
        rules.append((only, cond))
    return rules


def walk_fields(schema: Schema, names: Mapping[str, dict[str, Any]]) -> Iterator[FieldInfo]:
    """Yield every field path of a top-level record, parents before children.

    Record-valued fields are yielded too (``is_leaf`` False) so that callers can accept a path
    that names a whole sub-record.
    """
    root = resolve(schema, names)

    def visit(
        record: Mapping[str, Any],
        scope: str,
        inherited: frozenset[str],
        inherited_cond: tuple[ConditionalMarks, ...],
        nullable: bool,
        repeated: bool,
        stack: tuple[str, ...],
    ) -> Iterator[FieldInfo]:
        rules = _conditionals(record, scope)
        for field in record["fields"]:
            name = str(field["name"])
            path = f"{scope}.{name}" if scope else name
            marks = inherited | frozenset(field.get("sensitivity", []))
            conds = inherited_cond + tuple(c for only, c in rules if only is None or name in only)
            ftype = field["type"]
            inner, suffix, inner_nullable = _record_inside(ftype, names)
            resolved = resolve(ftype, names)
            branches = non_null_branches(resolved)
            own_nullable = isinstance(resolved, list) and "null" in resolved
            is_nullable = nullable or inner_nullable or own_nullable
            enum = resolve(branches[0], names) if len(branches) == 1 else None
            symbols = (
                tuple(enum["symbols"]) if isinstance(enum, dict) and enum.get("type") == "enum" else None
            )
            yield FieldInfo(
                path=path,
                avro_type=describe_type(ftype, names),
                schema=ftype,
                doc=str(field.get("doc", "")),
                marks=marks,
                conditional=conds,
                nullable=is_nullable,
                repeated=repeated,
                is_leaf=inner is None,
                symbols=symbols,
                has_default="default" in field,
                value_kind=value_kind_of(field, names, marks) if inner is None else None,
            )
            if inner is not None and inner["name"] not in stack:
                yield from visit(
                    inner,
                    path + suffix,
                    marks,
                    conds,
                    is_nullable,
                    repeated or bool(suffix),
                    (*stack, str(inner["name"])),
                )

    yield from visit(root, "", frozenset(), (), False, False, (str(root["name"]),))
