"""House rules every Pentameter schema must follow beyond being valid Avro.

* every record, enum and fixed has a ``doc``, and so does every field, because partners read the
  schemas to learn what they are being sent;
* every ``sensitivity`` mark comes from the closed list in :mod:`schemas.marks`;
* every ``conditional_sensitivity`` rule names a sibling field that exists, values that field can
  hold, and marks from the closed list;
* every ``value_kind`` comes from the closed list :class:`schemas.marks.ValueKind` and sits on a
  string (or list of strings) field.

The checks return problems as strings naming the field path, so a loader can report them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.marks import ALL_MARKS, ALL_VALUE_KINDS, VALUE_KIND_ATTRIBUTE, unknown_marks
from schemas.naming import NAMED_KINDS, Schema, named_types, non_null_branches, resolve, type_of


def _allowed_values(field_type: Schema, names: Mapping[str, dict[str, Any]]) -> set[object] | None:
    """Values a deciding field can take (None when they cannot be enumerated)."""
    node = resolve(field_type, names)
    allowed: set[object] = set()
    branches = node if isinstance(node, list) else [node]
    for branch in branches:
        b = resolve(branch, names)
        if b == "null":
            allowed.add(None)
        elif b == "boolean" or (isinstance(b, dict) and b.get("type") == "boolean"):
            allowed.update({True, False})
        elif isinstance(b, dict) and b.get("type") == "enum":
            allowed.update(b["symbols"])
        else:
            return None
    return allowed


def _check_conditionals(
    record: Mapping[str, Any], where: str, names: Mapping[str, dict[str, Any]]
) -> list[str]:
    problems: list[str] = []
    rules = record.get("conditional_sensitivity", [])
    if not isinstance(rules, list):
        return [f"{where}: conditional_sensitivity must be a list"]
    fields = {str(f["name"]): f for f in record.get("fields", [])}
    for i, rule in enumerate(rules):
        at = f"{where}: conditional_sensitivity[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("when"), dict):
            problems.append(f"{at} must be an object with a 'when' object")
            continue
        extra = set(rule) - {"when", "marks", "fields"}
        if extra:
            problems.append(f"{at} has unknown keys {sorted(extra)}")
        decider = rule["when"].get("field")
        values = rule["when"].get("in")
        if decider not in fields:
            problems.append(f"{at}: 'when.field' {decider!r} is not a field of the record")
        elif not isinstance(values, list) or not values:
            problems.append(f"{at}: 'when.in' must be a non-empty list of values")
        else:
            allowed = _allowed_values(fields[decider]["type"], names)
            if allowed is None:
                problems.append(f"{at}: field {decider!r} must be an enum or boolean to decide")
            else:
                bad = [v for v in values if v not in allowed]
                if bad:
                    problems.append(f"{at}: {bad!r} are not values of field {decider!r}")
        bad_marks = unknown_marks(rule.get("marks"))
        if bad_marks or not rule.get("marks"):
            problems.append(
                f"{at}: marks {bad_marks or '[]'} are not from the closed list {sorted(ALL_MARKS)}"
            )
        only = rule.get("fields")
        if only is not None:
            missing = [f for f in only if f not in fields] if isinstance(only, list) else [only]
            if missing:
                problems.append(f"{at}: 'fields' {missing!r} are not fields of the record")
    return problems


def _check_value_kind(field: Mapping[str, Any], fpath: str, names: Mapping[str, dict[str, Any]]) -> list[str]:
    kind = field[VALUE_KIND_ATTRIBUTE]
    if not isinstance(kind, str) or kind not in ALL_VALUE_KINDS:
        return [f"field {fpath}: value_kind {kind!r} is not from the closed list {sorted(ALL_VALUE_KINDS)}"]
    branches = non_null_branches(field["type"])
    node = resolve(branches[0], names) if len(branches) == 1 else None
    if isinstance(node, dict) and node.get("type") == "array":
        node = resolve(node["items"], names)
    if node is None or type_of(node) != "string":
        return [f"field {fpath}: value_kind {kind!r} is only for a string or a list of strings"]
    return []


def lint(schema: Schema, *, require_docs: bool = True) -> list[str]:
    """Return every house-rule problem in an expanded schema (empty when it is clean)."""
    names = named_types(schema)
    problems: list[str] = []
    seen: set[str] = set()

    def visit(node: Schema, path: str) -> None:
        node = resolve(node, names)
        if isinstance(node, list):
            for branch in node:
                visit(branch, path)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if isinstance(kind, str) and kind in NAMED_KINDS:
            name = str(node["name"])
            if name in seen:
                return
            seen.add(name)
            if require_docs and not str(node.get("doc", "")).strip():
                problems.append(f"{kind} {name} has no doc")
        if kind == "array":
            visit(node["items"], path + "[]")
        elif kind == "map":
            visit(node["values"], path + "{}")
        elif kind in ("record", "error"):
            problems.extend(_check_conditionals(node, f"record {node['name']}", names))
            for field in node["fields"]:
                fpath = f"{path}.{field['name']}" if path else str(field["name"])
                if require_docs and not str(field.get("doc", "")).strip():
                    problems.append(f"field {fpath} has no doc")
                if "sensitivity" in field:
                    bad = unknown_marks(field["sensitivity"])
                    if bad:
                        problems.append(
                            f"field {fpath}: sensitivity marks {', '.join(bad)} are not from "
                            f"the closed list {sorted(ALL_MARKS)}"
                        )
                if VALUE_KIND_ATTRIBUTE in field:
                    problems.extend(_check_value_kind(field, fpath, names))
                for branch in non_null_branches(field["type"]):
                    visit(branch, fpath)

    visit(schema, "")
    return problems
