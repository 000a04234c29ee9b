"""The shape of what one partner receives, and its Avro schema (the partner's typed contract).

The compiler turns an agreement into an *output tree* (:class:`OutRecord` / :class:`OutLeaf` /
:class:`OutChild`) mirroring the event's structure but holding only released fields. The same
tree drives both the runtime projection and :func:`derive_schema` here, so the records a plan
produces and the schema published for them cannot drift apart.

Schema rules:

* every named type moves into the partner's namespace (``org.pentameter.partner.<partner>.
  <EventType>``), so a projection never clashes with the event schema or another partner's;
* a transformed field gets its output type (``string`` for tokens, masks and generalised
  values, ``bytes`` for ciphertext; arrays stay arrays);
* a field the plan may withhold per record is nullable with a null default (an array gets an
  empty default instead);
* docs and sensitivity marks are kept, and each field's doc says how it was released, so a
  partner reading the schema learns what each value is.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from schemas.naming import NAMED_KINDS, Schema, resolve, short_name, type_of

Branch = tuple[Literal["keep"], Schema] | tuple[Literal["string", "bytes"], bool]
"""One possible output type of a leaf: the source type kept, or string/bytes (bool: array)."""


@dataclass
class OutLeaf:
    """A released leaf (or a record released as one token)."""

    name: str
    path: str
    source_field: dict[str, Any]
    branches: list[Branch]
    nullable: bool
    is_array: bool
    how: str
    free_text: bool = False
    keep_default: bool = False


@dataclass
class OutRecord:
    """A record instance in the output: the root, a sub-record, or each element of an array."""

    path: str
    source: dict[str, Any]
    fields: list[OutLeaf | OutChild] = field(default_factory=list)


@dataclass
class OutChild:
    """A field holding released records: a (nullable) record, an array or a map of them."""

    name: str
    path: str
    source_field: dict[str, Any]
    container: Literal["record", "array", "map"]
    nullable: bool
    record: OutRecord


class _Namer:
    """Defines named types in the projection namespace, once per distinct shape."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.defined: dict[str, str] = {}

    def define(self, original: str, body: dict[str, Any]) -> Schema:
        signature = json.dumps(_signature(body), sort_keys=True)
        base = f"{self.namespace}.{short_name(original)}"
        candidate, n = base, 1
        while candidate in self.defined:
            if self.defined[candidate] == signature:
                return candidate
            n += 1
            candidate = f"{base}_{n}"
        self.defined[candidate] = signature
        return {"type": body["type"], "name": candidate, **{k: v for k, v in body.items() if k != "type"}}


def _signature(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in NAMED_KINDS and "name" in node:
            return node["name"]
        return {k: _signature(v) for k, v in node.items() if k not in ("doc",)}
    if isinstance(node, list):
        return [_signature(v) for v in node]
    return node


class _Deriver:
    def __init__(self, names: dict[str, dict[str, Any]], namespace: str) -> None:
        self.names = names
        self.namer = _Namer(namespace)

    def convert(self, node: Schema) -> Schema:
        """A source (leaf) type rewritten into the projection namespace."""
        node = resolve(node, self.names)
        kind = type_of(node)
        if kind == "union":
            return [self.convert(b) for b in node]
        if kind == "enum":
            body = {k: copy.deepcopy(v) for k, v in node.items() if k not in ("name", "aliases")}
            return self.namer.define(str(node["name"]), body)
        if kind in ("record", "error", "fixed"):
            raise ValueError(f"a leaf cannot have a {kind} type")
        if kind == "array":
            return {**node, "items": self.convert(node["items"])}
        if kind == "map":
            return {**node, "values": self.convert(node["values"])}
        return copy.deepcopy(node)

    def leaf(self, leaf: OutLeaf) -> dict[str, Any]:
        src = leaf.source_field
        out: dict[str, Any] = {"name": leaf.name}
        types: list[Schema] = []
        for branch in leaf.branches:
            if branch[0] == "keep":
                converted = self.convert(branch[1])
                types.extend(converted if isinstance(converted, list) else [converted])
            else:
                base = branch[0]
                types.append({"type": "array", "items": base} if branch[1] else base)
        unique: list[Schema] = []
        for t in types:
            if t != "null" and t not in unique:
                unique.append(t)
        if leaf.is_array:
            out["type"] = unique[0]
            if leaf.nullable or "default" in src:
                out["default"] = []
        elif leaf.nullable:
            out["type"] = ["null", *unique]
            out["default"] = None
        else:
            out["type"] = unique[0] if len(unique) == 1 else unique
            if leaf.keep_default and "default" in src:
                out["default"] = copy.deepcopy(src["default"])
        doc = str(src.get("doc", "")).strip()
        out["doc"] = f"{doc} Released as: {leaf.how}." if doc else f"Released as: {leaf.how}."
        if "sensitivity" in src:
            out["sensitivity"] = list(src["sensitivity"])
        return out

    def child(self, child: OutChild) -> dict[str, Any]:
        record = self.record(child.record)
        out: dict[str, Any] = {"name": child.name}
        if child.container == "array":
            out["type"] = {"type": "array", "items": record}
            out["default"] = []
        elif child.container == "map":
            out["type"] = {"type": "map", "values": record}
            out["default"] = {}
        elif child.nullable:
            out["type"] = ["null", record]
            out["default"] = None
        else:
            out["type"] = record
        out["doc"] = str(child.source_field.get("doc", "")) or f"Released part of {child.path}."
        if "sensitivity" in child.source_field:
            out["sensitivity"] = list(child.source_field["sensitivity"])
        return out

    def record(self, node: OutRecord, extra: list[dict[str, Any]] | None = None) -> Schema:
        fields: list[dict[str, Any]] = []
        kept_plain: set[str] = set()
        for item in node.fields:
            if isinstance(item, OutLeaf):
                fields.append(self.leaf(item))
                if item.branches == [("keep", item.source_field["type"])] and not item.nullable:
                    kept_plain.add(item.name)
            else:
                fields.append(self.child(item))
            if extra and item.name == "envelope":
                fields.extend(extra)
                extra = None
        if extra:
            fields[1:1] = extra
        body: dict[str, Any] = {
            "type": "record",
            "doc": str(node.source.get("doc", "")) or "Released record.",
            "fields": fields,
        }
        present = {f["name"] for f in fields}
        rules = []
        for rule in node.source.get("conditional_sensitivity", []):
            decider = rule["when"]["field"]
            if decider not in kept_plain:
                continue
            trimmed = copy.deepcopy(rule)
            if "fields" in trimmed:
                trimmed["fields"] = [f for f in trimmed["fields"] if f in present]
                if not trimmed["fields"]:
                    continue
            rules.append(trimmed)
        if rules:
            body["conditional_sensitivity"] = rules
        return self.namer.define(str(node.source["name"]), body)


def sharing_field(namespace: str) -> dict[str, Any]:
    """The ``sharing`` record every delivery carries: which agreement released it and how it
    may be used (rules 3, 10 and 12)."""
    return {
        "name": "sharing",
        "doc": "Under which agreement this record was shared, and what travels with it.",
        "type": {
            "type": "record",
            "name": f"{namespace}.Sharing",
            "doc": "Agreement and handling information attached by the Pentameter router.",
            "fields": [
                {
                    "name": "agreement_id",
                    "type": "string",
                    "doc": "Id of the agreement that released this record.",
                },
                {"name": "agreement_version", "type": "int", "doc": "Version of that agreement."},
                {"name": "partner", "type": "string", "doc": "Partner id this record was projected for."},
                {
                    "name": "purposes",
                    "type": {"type": "array", "items": "string"},
                    "doc": "Purposes (SharingPurpose symbols) for which the record may be used.",
                },
                {
                    "name": "onward_sharing_permitted",
                    "type": "boolean",
                    "doc": "False when a handling code or TLP forbids any onward sharing; when true, onward "
                    "sharing is still only as the agreement's onward_sharing clause allows.",
                },
                {
                    "name": "restrictions",
                    "type": {"type": "array", "items": "string"},
                    "default": [],
                    "doc": "Handling restrictions that travel with the record (handling code, SIENA, TLP).",
                },
            ],
        },
    }


def derive_schema(
    root: OutRecord,
    names: dict[str, dict[str, Any]],
    *,
    namespace: str,
    name: str,
    doc: str,
    attributes: dict[str, Any],
) -> dict[str, Any]:
    """The standalone Avro schema of records built from ``root`` (see the module doc).

    ``attributes`` are extra top-level keys (provenance: agreement, source schema); they do not
    change the fingerprint, which covers only the Parsing Canonical Form.
    """
    deriver = _Deriver(names, namespace)
    deriver.namer.defined[f"{namespace}.Sharing"] = "sharing"
    schema = deriver.record(root, [sharing_field(namespace)])
    if not isinstance(schema, dict):
        raise ValueError("the root record was already defined")
    schema["name"] = f"{namespace}.{name}"
    schema["doc"] = doc
    schema.update(attributes)
    return schema
