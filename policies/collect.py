"""Rule 11, first half: gather the strings a plan withholds or transforms, so the second half
(:mod:`policies.scrub`) can remove them from released free text.

A collector is compiled once per schema node: it walks a value of that type and appends every
plain string (never enum symbols, which are vocabulary, not data) to a list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas.naming import resolve, type_of

Collector = Callable[[Any, list[str]], None]
"""Appends the plain strings of one value to a list."""


def text_collector(
    node: Any, names: Mapping[str, Any], skip: Callable[[str], bool] | None = None, path: str = ""
) -> Collector | None:
    """A function appending every plain-string value found in a value of schema ``node`` to a
    list (enum symbols are not collected). ``skip(path)`` prunes fields. None when the type holds
    no plain strings."""
    node = resolve(node, names)
    kind = type_of(node)
    if kind == "union":
        parts = [(b, text_collector(b, names, skip, path)) for b in node]
        string_fn = next((fn for b, fn in parts if fn is not None and _is_plain_string(b, names)), None)
        record_fn = next(
            (fn for b, fn in parts if fn is not None and type_of(resolve(b, names)) == "record"), None
        )
        list_fn = next(
            (fn for b, fn in parts if fn is not None and type_of(resolve(b, names)) == "array"), None
        )
        if string_fn is None and record_fn is None and list_fn is None:
            return None

        def union(value: Any, out: list[str]) -> None:
            if isinstance(value, str):
                if string_fn is not None:
                    string_fn(value, out)
            elif isinstance(value, dict):
                if record_fn is not None:
                    record_fn(value, out)
            elif isinstance(value, list) and list_fn is not None:
                list_fn(value, out)

        return union
    if _is_plain_string(node, names):
        return lambda value, out: out.append(value)
    if kind == "array":
        items_fn = text_collector(node["items"], names, skip, path + "[]")
        if items_fn is None:
            return None

        def array(value: Any, out: list[str]) -> None:
            for item in value:
                items_fn(item, out)

        return array
    if kind == "map":
        inner = text_collector(node["values"], names, skip, path + "{}")
        if inner is None:
            return None

        def mapping(value: Any, out: list[str]) -> None:
            for item in value.values():
                inner(item, out)

        return mapping
    if kind in ("record", "error"):
        parts_r: list[tuple[str, Collector]] = []
        for f in node["fields"]:
            fpath = f"{path}.{f['name']}" if path else str(f["name"])
            if skip is not None and skip(fpath):
                continue
            fn = text_collector(f["type"], names, skip, fpath)
            if fn is not None:
                parts_r.append((str(f["name"]), fn))
        if not parts_r:
            return None

        def record(value: Any, out: list[str]) -> None:
            for key, fn in parts_r:
                item = value.get(key)
                if item is not None:
                    fn(item, out)

        return record
    return None


def _is_plain_string(node: Any, names: Mapping[str, Any]) -> bool:
    node = resolve(node, names)
    if node == "string":
        return True
    return isinstance(node, dict) and node.get("type") == "string" and "logicalType" not in node


def collect_value(value: Any, out: list[str]) -> None:
    """Append a string, or the strings of a list of strings (a leaf's value)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        out.extend(v for v in value if isinstance(v, str))
