"""Derive a projection schema: the subset of an event schema a partner may receive.

The policy engine compiles each agreement into a list of field paths (see :mod:`schemas.fields`)
and calls :func:`project` once per (event type, partner) to get the schema of the redacted records
it will publish; it then registers it with :meth:`schemas.catalogue.Catalogue.register`.

* a kept leaf path keeps that field; a kept record path (``envelope``, ``people[]``'s parent
  ``people``) keeps everything under it; the records on the way are kept with only what is
  needed;
* paths in ``optional`` become nullable with a null default (arrays and maps keep their type and
  get an empty default), for fields the router blanks per record (e.g. a name shown only for
  consenting adults);
* every named type moves into ``namespace`` so a projection never clashes with the full schema;
  a named type projected differently in two places gets a numbered name;
* docs, sensitivity marks and defaults are kept, so partners see what each field means.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.entry import SchemaEntry
from schemas.exceptions import UnknownFieldPath
from schemas.naming import NAMED_KINDS, Schema, named_types, resolve, short_name, type_of


def _prefixes(paths: Iterable[str]) -> set[str]:
    """Every proper ancestor path of the given paths (``a.b[].c`` -> ``a``, ``a.b``, ``a.b[]``)."""
    found: set[str] = set()
    for path in paths:
        for i, ch in enumerate(path):
            if ch == ".":
                found.add(path[:i])
            elif ch in "[{":
                found.add(path[:i])
                found.add(path[: i + 2])
    return found


class _Projector:
    def __init__(
        self, names: Mapping[str, dict[str, Any]], keep: set[str], optional: set[str], ns: str
    ) -> None:
        self.names = names
        self.keep = keep
        self.ancestors = _prefixes(keep)
        self.optional = optional
        self.namespace = ns
        self.defined: dict[str, Any] = {}

    def define(self, original: str, body: dict[str, Any]) -> Schema:
        """Emit a definition in the new namespace, or a reference if an equal one exists."""
        base = f"{self.namespace}.{short_name(original)}"
        signature = _signature(body)
        candidate, n = base, 1
        while candidate in self.defined:
            if self.defined[candidate] == signature:
                return candidate
            n += 1
            candidate = f"{base}_{n}"
        self.defined[candidate] = signature
        return {"type": body["type"], "name": candidate, **body}

    def project(self, node: Schema, path: str, whole: bool) -> Schema | None:
        node = resolve(node, self.names)
        kind = type_of(node)
        if kind == "union":
            out = []
            for branch in node:
                projected = self.project(branch, path, whole)
                if projected is not None:
                    out.append(projected)
            return out or None
        if kind in ("record", "error"):
            return self.record(node, path, whole)
        if kind in ("enum", "fixed"):
            body = {k: copy.deepcopy(v) for k, v in node.items() if k not in ("name", "aliases")}
            return self.define(str(node["name"]), body)
        if kind == "array":
            items = self.project(node["items"], path + "[]", whole)
            return None if items is None else {**node, "items": items}
        if kind == "map":
            values = self.project(node["values"], path + "{}", whole)
            return None if values is None else {**node, "values": values}
        return copy.deepcopy(node)

    def record(self, node: Mapping[str, Any], path: str, whole: bool) -> Schema | None:
        fields = []
        for field in node["fields"]:
            fpath = f"{path}.{field['name']}" if path else str(field["name"])
            fwhole = whole or fpath in self.keep
            if not fwhole and fpath not in self.ancestors:
                continue
            ftype = self.project(field["type"], fpath, fwhole)
            if ftype is None:
                continue
            new_field = {k: copy.deepcopy(v) for k, v in field.items() if k != "type"}
            new_field["type"] = ftype
            if fpath in self.optional:
                _make_optional(new_field, self.names)
            fields.append(new_field)
        if not fields:
            return None
        body = {k: copy.deepcopy(v) for k, v in node.items() if k not in ("name", "aliases")}
        body["fields"] = fields
        kept = {str(f["name"]) for f in fields}
        rules = [_trim_rule(r, kept) for r in node.get("conditional_sensitivity", [])]
        if "conditional_sensitivity" in body:
            body["conditional_sensitivity"] = [r for r in rules if r is not None]
            if not body["conditional_sensitivity"]:
                del body["conditional_sensitivity"]
        return self.define(str(node["name"]), body)


def _trim_rule(rule: Mapping[str, Any], kept: set[str]) -> dict[str, Any] | None:
    """A conditional-sensitivity rule limited to the kept fields (None if it no longer applies:
    its deciding field or all its target fields were dropped)."""
    if rule["when"]["field"] not in kept:
        return None
    trimmed = copy.deepcopy(dict(rule))
    if "fields" in trimmed:
        trimmed["fields"] = [f for f in trimmed["fields"] if f in kept]
        if not trimmed["fields"]:
            return None
    return trimmed


def _signature(node: Any) -> Any:
    """A definition with nested named definitions replaced by their names, so that two
    projections of one type compare equal whether a nested type was defined or referenced."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in NAMED_KINDS and "name" in node:
            return node["name"]
        return {k: _signature(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_signature(v) for v in node]
    return node


def _make_optional(field: dict[str, Any], names: Mapping[str, dict[str, Any]]) -> None:
    ftype = field["type"]
    kind = type_of(resolve(ftype, names)) if not isinstance(ftype, dict) else ftype["type"]
    if kind == "array":
        field["default"] = []
    elif kind == "map":
        field["default"] = {}
    elif isinstance(ftype, list):
        if "null" in ftype:
            field["type"] = ["null", *(b for b in ftype if b != "null")]
        else:
            field["type"] = ["null", *ftype]
        field["default"] = None
    else:
        field["type"] = ["null", ftype]
        field["default"] = None


def project(
    source: SchemaEntry,
    keep: Iterable[str],
    *,
    name: str,
    namespace: str,
    optional: Iterable[str] = (),
    doc: str | None = None,
) -> dict[str, Any]:
    """Return the standalone projection of ``source`` keeping ``keep`` (see module doc).

    Raises UnknownFieldPath naming every path ``source`` does not have, and when nothing is kept.
    """
    keep_set, optional_set = set(keep), set(optional)
    known = {f.path for f in source.all_fields}
    unknown = sorted((keep_set | optional_set) - known)
    if unknown:
        raise UnknownFieldPath(f"{source.label} has no field(s) {', '.join(unknown)}")
    projector = _Projector(named_types(source.schema), keep_set, optional_set, namespace)
    root = projector.record(source.schema, "", False)
    if not isinstance(root, dict):
        raise UnknownFieldPath(f"projection of {source.label} keeps no field")
    root["name"] = f"{namespace}.{name}"
    root["doc"] = doc or f"Projection of {source.label}: {root.get('doc', '')}".strip()
    root["projected_from"] = {
        "name": source.name,
        "version": source.version,
        "fingerprint": source.fingerprint_hex,
    }
    return root
