"""Avro names: qualify them, expand references into standalone schemas, resolve them again.

Shared types (Envelope, Person, the code lists) are written once and referenced by name from each
event schema. Everything downstream (fingerprints, the governance topic, a partner without the
repo) needs a *standalone* schema, so :func:`expand` inlines each referenced definition at its
first use and leaves a full-name reference after that, as Avro requires. Unlike
``fastavro.parse_schema(expand=True)`` it keeps custom attributes (``doc``, ``sensitivity``) and
never repeats a definition.

In an expanded schema every name and alias is fully qualified and no ``namespace`` key remains,
so :func:`named_types` and :func:`resolve` need no namespace bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.exceptions import SchemasError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})

Schema = Any
"""An Avro schema as parsed JSON: a str (primitive or name), a list (union) or a dict."""


class SchemaNameError(SchemasError):
    """A name problem found while expanding; callers turn it into a catalogue error."""


def qualify(name: str, namespace: str | None) -> str:
    """Return the full name of ``name`` as seen from ``namespace`` (Avro name resolution)."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def namespace_of(full_name: str) -> str | None:
    """Return the namespace part of a full name (None when it has none)."""
    return full_name.rsplit(".", 1)[0] if "." in full_name else None


def short_name(full_name: str) -> str:
    """Return the last component of a full name."""
    return full_name.rsplit(".", 1)[-1]


def definition_name(node: Mapping[str, Any], enclosing: str | None) -> str:
    """Return the full name a named-type definition declares, honouring its own namespace."""
    return qualify(str(node["name"]), node.get("namespace", enclosing))


def expand(schema: Schema, shared: Mapping[str, Mapping[str, Any]]) -> Schema:
    """Return ``schema`` as a standalone schema with every name fully qualified.

    ``shared`` maps full names to raw definitions (as written in their own files, possibly with a
    ``namespace`` key). A reference to one of them is replaced by its definition the first time it
    is met (depth first, field order) and stays a full-name reference afterwards.

    Raises ``SchemaNameError`` for a reference to an unknown name or a name defined twice.
    """
    defined: set[str] = set()

    def named(n: Mapping[str, Any], ns: str | None) -> dict[str, Any]:
        full = definition_name(n, ns)
        if full in defined:
            raise SchemaNameError(f"type {full} is defined more than once")
        defined.add(full)
        inner = namespace_of(full)
        out = {k: v for k, v in n.items() if k != "namespace"}
        out["name"] = full
        if "aliases" in n:
            out["aliases"] = [qualify(str(a), inner) for a in n["aliases"]]
        if n["type"] in ("record", "error"):
            out["fields"] = [{**field, "type": walk(field["type"], inner)} for field in n.get("fields", [])]
        return out

    def walk(n: Schema, ns: str | None) -> Schema:
        if isinstance(n, str):
            if n in PRIMITIVES:
                return n
            full = qualify(n, ns)
            if full in defined:
                return full
            if full not in shared:
                raise SchemaNameError(f"reference to unknown type {full}")
            return named(shared[full], namespace_of(full))
        if isinstance(n, list):
            return [walk(branch, ns) for branch in n]
        if isinstance(n, dict):
            kind = n.get("type")
            if isinstance(kind, str) and kind in NAMED_KINDS:
                return named(n, ns)
            if kind == "array":
                return {**n, "items": walk(n["items"], ns)}
            if kind == "map":
                return {**n, "values": walk(n["values"], ns)}
            if isinstance(kind, (dict, list)):
                return walk(kind, ns)
            return dict(n)
        raise SchemaNameError(f"not an Avro schema: {n!r}")

    return walk(schema, None)


def named_types(schema: Schema) -> dict[str, dict[str, Any]]:
    """Map every full name defined in an expanded schema to its definition."""
    found: dict[str, dict[str, Any]] = {}

    def walk(n: Schema) -> None:
        if isinstance(n, list):
            for branch in n:
                walk(branch)
        elif isinstance(n, dict):
            kind = n.get("type")
            if isinstance(kind, str) and kind in NAMED_KINDS:
                found[str(n["name"])] = n
                for field in n.get("fields", []):
                    walk(field["type"])
            elif kind == "array":
                walk(n["items"])
            elif kind == "map":
                walk(n["values"])

    walk(schema)
    return found


def resolve(node: Schema, names: Mapping[str, dict[str, Any]]) -> Schema:
    """Follow a name reference in an expanded schema to its definition (other nodes unchanged)."""
    if isinstance(node, str) and node not in PRIMITIVES:
        return names[node]
    return node


def type_of(node: Schema) -> str:
    """Kind of a resolved node: a primitive name, 'union', or the dict's 'type'."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    return str(node["type"])


def non_null_branches(node: Schema) -> list[Schema]:
    """Branches of a union other than null (the node itself if it is not a union)."""
    if isinstance(node, list):
        return [b for b in node if b != "null"]
    return [node]
