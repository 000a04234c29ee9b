"""Rule 11, gathering: the values a plan does not release in clear, each with its kind, so
:mod:`policies.scrub` can remove every form of them from what the partner does receive.

A collector is compiled once per schema node: it walks a value of that type and appends
``(value, kind)`` for every string (its field's :class:`schemas.marks.ValueKind`), date and
timestamp (kind ``date``) and uuid (kind ``reference``). Enum symbols are vocabulary, not data,
and ``code`` strings (validated ISO codes, grading codes) likewise; neither is collected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas.fields import value_kind_of
from schemas.marks import ValueKind
from schemas.naming import resolve, type_of

Found = list[tuple[Any, str]]
"""Withheld values and their kinds, in the order met."""
Collector = Callable[[Any, Found], None]
"""Appends the values (and kinds) of one value of a schema type."""

_DATELIKE = frozenset({"date", "timestamp-millis", "timestamp-micros"})
_CODE = ValueKind.CODE.value


def leaf_collector(kind: str | None) -> Collector | None:
    """A collector for one leaf value of ``kind`` (a string, list of strings, date or timestamp);
    None when values of that kind are not collected."""
    if kind is None or kind == _CODE:
        return None

    def leaf(value: Any, out: Found) -> None:
        if isinstance(value, list):
            out.extend((v, kind) for v in value if v is not None)
        elif value is not None:
            out.append((value, kind))

    return leaf


def field_collector(field: Mapping[str, Any], names: Mapping[str, Any]) -> Collector | None:
    """A collector for the value of one record field (its own ``value_kind`` applies)."""
    marks = frozenset(field.get("sensitivity", []))
    return collector(field["type"], names, value_kind_of(field, names, marks))


def collector(
    node: Any,
    names: Mapping[str, Any],
    kind: str | None = None,
    skip: Callable[[str], bool] | None = None,
    path: str = "",
) -> Collector | None:
    """A collector for values of schema ``node`` whose strings are of ``kind`` (``label`` when
    not given); records use each field's own kind. ``skip(path)`` prunes fields. None when the
    type holds nothing to collect."""
    node = resolve(node, names)
    form = type_of(node)
    if form == "union":
        return _union(node, names, kind, skip, path)
    if form in ("record", "error"):
        return _record(node, names, skip, path)
    if form in ("array", "map"):
        suffix = "[]" if form == "array" else "{}"
        inner = collector(node["items" if form == "array" else "values"], names, kind, skip, path + suffix)
        return None if inner is None else _each(inner, form == "map")
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if logical in _DATELIKE:
        return leaf_collector(ValueKind.DATE.value)
    if form != "string":
        return None
    if logical == "uuid":
        return leaf_collector(ValueKind.REFERENCE.value)
    return leaf_collector(kind or ValueKind.LABEL.value)


def _each(inner: Collector, is_map: bool) -> Collector:
    def each(value: Any, out: Found) -> None:
        for item in value.values() if is_map else value:
            if item is not None:
                inner(item, out)

    return each


def _union(
    node: list[Any], names: Mapping[str, Any], kind: str | None, skip: Callable[[str], bool] | None, path: str
) -> Collector | None:
    """Pick the branch by the value's Python type (Avro-ready values say which branch they are)."""
    by_type: dict[type, Collector] = {}
    scalar: Collector | None = None
    for branch in node:
        fn = collector(branch, names, kind, skip, path)
        if fn is None:
            continue
        form = type_of(resolve(branch, names))
        if form in ("record", "error", "map"):
            by_type.setdefault(dict, fn)
        elif form == "array":
            by_type.setdefault(list, fn)
        else:
            scalar = scalar or fn
    if not by_type and scalar is None:
        return None

    def union(value: Any, out: Found) -> None:
        fn = by_type.get(type(value), scalar)
        if fn is not None:
            fn(value, out)

    return union


def _record(
    node: Mapping[str, Any], names: Mapping[str, Any], skip: Callable[[str], bool] | None, path: str
) -> Collector | None:
    parts: list[tuple[str, Collector]] = []
    for f in node["fields"]:
        fpath = f"{path}.{f['name']}" if path else str(f["name"])
        if skip is not None and skip(fpath):
            continue
        marks = frozenset(f.get("sensitivity", []))
        fn = collector(f["type"], names, value_kind_of(f, names, marks), skip, fpath)
        if fn is not None:
            parts.append((str(f["name"]), fn))
    if not parts:
        return None

    def record(value: Any, out: Found) -> None:
        for key, fn in parts:
            item = value.get(key)
            if item is not None:
                fn(item, out)

    return record
