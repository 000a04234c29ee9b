"""The publisher's hot path through :func:`schemas.convert.to_avro`: the schema walk compiled once.

:func:`schemas.convert.to_avro` interprets the schema for every record: it resolves each node's
type, and builds every field's path, for each value it converts, which is most of what an agency's
publisher spends per event. :func:`compile_record` turns a schema into nested functions once, with
the types resolved and the field lists, enum symbols and defaults in hand, and without paths.

It is only a fast path, never a second definition. It accepts a value only where it is sure the
interpreted walk would accept it with no problem and return the same record: exact types (a
``bool`` is never taken for an int, a ``str`` subclass is left alone), every field known, no
multi-branch union past its first branch. At its leaves it calls the interpreted walk's own
converters. Anything else raises :class:`~schemas.exceptions.ConversionUnsure`, and
:func:`to_avro` here runs the interpreted walk (:func:`schemas.convert.to_avro`), which names
every problem with its path. A differential property test holds the two together
(``tests/unit/schemas/test_schemas_convert_compiled.py``). Validation (:mod:`schemas.validation`)
converts through :func:`to_avro` here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from schemas import convert
from schemas.exceptions import ConversionUnsure
from schemas.naming import Schema, resolve, type_of

Converter = Callable[[object], object]


def _leaf(check: Callable[[object, convert.Problems], object]) -> Converter:
    """A converter that asks the interpreted walk's own leaf function and is unsure on a problem."""

    def leaf(value: object) -> object:
        problems = convert.Problems()
        result = check(value, problems)
        if problems.items:
            raise ConversionUnsure
        return result

    return leaf


def _string(node: Schema) -> Converter:
    if isinstance(node, dict) and node.get("logicalType") == "uuid":

        def uuid_text(value: object) -> object:
            if value.__class__ is uuid.UUID:
                return value
            if value.__class__ is str:
                try:
                    return uuid.UUID(value)
                except ValueError:
                    raise ConversionUnsure from None
            raise ConversionUnsure

        return uuid_text
    slow = _leaf(lambda value, problems: convert._string(node, value, "", problems))

    def text(value: object) -> object:
        if value.__class__ is str and value.isascii() and value.strip():
            return value
        return slow(value)

    return text


def _integer(kind: str) -> Converter:
    low, high = convert.INT_RANGE if kind == "int" else convert.LONG_RANGE

    def integer(value: object) -> object:
        if value.__class__ is int and low <= value <= high:
            return value
        raise ConversionUnsure

    return integer


def _enum(node: Mapping[str, Any]) -> Converter:
    symbols = frozenset(node["symbols"])

    def enum(value: object) -> object:
        if value.__class__ is str and value in symbols:
            return value
        raise ConversionUnsure

    return enum


def _union(node: list[Schema], names: Mapping[str, Any], done: dict[str, Converter]) -> Converter:
    nullable = "null" in node
    branches = [b for b in node if b != "null"]
    first = _node(branches[0], names, done) if branches else None

    def union(value: object) -> object:
        if value is None:
            if nullable:
                return None
            raise ConversionUnsure
        if first is None:
            raise ConversionUnsure
        return first(value)  # a later branch is the interpreted walk's to choose

    return union


def _array(items: Converter) -> Converter:
    def array(value: object) -> object:
        if value.__class__ is not list and value.__class__ is not tuple:
            raise ConversionUnsure
        return [items(item) for item in value]

    return array


def _map(values: Converter) -> Converter:
    def mapping(value: object) -> object:
        if value.__class__ is not dict:
            raise ConversionUnsure
        return {str(k): values(v) for k, v in value.items()}

    return mapping


def _record(node: Mapping[str, Any], names: Mapping[str, Any], done: dict[str, Converter]) -> Converter:
    """One generated function per record type: a dict display of its fields in schema order, each
    converted, or its default where the value lacks it (converting builds new lists and dicts, so
    a default is never shared)."""
    known = frozenset(str(f["name"]) for f in node["fields"])
    namespace: dict[str, Any] = {"ConversionUnsure": ConversionUnsure, "known": known}
    cell: list[Converter] = []
    done[str(node["name"])] = lambda value: cell[0](value)  # a record may hold itself
    items = []
    for i, field in enumerate(node["fields"]):
        name = str(field["name"])
        namespace[f"c{i}"] = _node(field["type"], names, done)
        if "default" in field:
            namespace[f"d{i}"] = convert._default(field["type"], field["default"], names)
            fallback = f"c{i}(d{i})"
        else:
            fallback = "missing()"
        items.append(f"{name!r}: c{i}(value[{name!r}]) if {name!r} in value else {fallback}")
    source = "\n".join(
        [
            "def missing():",
            "    raise ConversionUnsure",
            "def record(value):",
            "    if value.__class__ is not dict or not known.issuperset(value):",
            "        raise ConversionUnsure",
            "    return {" + ", ".join(items) + "}",
        ]
    )
    exec(compile(source + "\n", f"<convert {node['name']}>", "exec"), namespace)  # names are repr()'d
    record: Converter = namespace["record"]
    cell.append(record)
    done[str(node["name"])] = record
    return record


def _plain(kind: str, node: Schema) -> Converter | None:
    """The exact-type test of a primitive the interpreted walk takes as it is (or as a float)."""
    if kind == "boolean":
        return lambda value: value if value.__class__ is bool else _unsure()
    if kind in ("float", "double"):
        return lambda value: float(value) if value.__class__ is float or value.__class__ is int else _unsure()
    if kind == "bytes":
        return lambda value: value if value.__class__ is bytes else _unsure()
    if kind == "null":
        return lambda value: None if value is None else _unsure()
    return None


def _unsure() -> Any:
    raise ConversionUnsure


def _node(node: Schema, names: Mapping[str, Any], done: dict[str, Converter]) -> Converter:
    if isinstance(node, str) and node in done:
        return done[node]
    node = resolve(node, names)
    kind = type_of(node)
    if kind == "union":
        return _union(node, names, done)
    if kind == "record":
        return _record(node, names, done)
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if kind == "string":
        return _string(node)
    if kind == "int" and logical == "date":
        return _leaf(lambda value, problems: convert._date(value, "", problems))
    if kind == "long" and logical == "timestamp-millis":
        return _leaf(lambda value, problems: convert._timestamp(value, "", problems))
    if kind in ("int", "long"):
        return _integer(kind)
    if kind == "enum":
        return _enum(node)
    if kind == "array":
        return _array(_node(node["items"], names, done))
    if kind == "map":
        return _map(_node(node["values"], names, done))
    plain = _plain(kind, node)
    if plain is not None:
        return plain
    return _leaf(lambda value, problems: _required(node, value, names, problems))


def _required(node: Schema, value: object, names: Mapping[str, Any], problems: convert.Problems) -> object:
    if value is None and type_of(node) != "null":
        problems.add("", "is null but the field is required")
        return None
    return convert._convert(node, value, "", names, problems)


def compile_record(schema: Mapping[str, Any], names: Mapping[str, Any]) -> Converter:
    """The fast converter of one expanded record schema (it raises
    :class:`~schemas.exceptions.ConversionUnsure`: see the module doc)."""
    return _record(schema, names, {})


_compiled: dict[int, tuple[Mapping[str, Any], Mapping[str, Any], Converter]] = {}
"""id(schema) -> the schema, its names and its compiled walk (the schema is held, so its id is
never another's while it is here)."""


def compiled(schema: Mapping[str, Any], names: Mapping[str, Any]) -> Converter:
    """The compiled walk of ``schema``, compiled on first use."""
    held = _compiled.get(id(schema))
    if held is None or held[0] is not schema or held[1] is not names:
        held = _compiled[id(schema)] = (schema, names, compile_record(schema, names))
    return held[2]


def to_avro(
    schema: Mapping[str, Any], names: Mapping[str, Any], value: object
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """:func:`schemas.convert.to_avro`, the same result, through the compiled walk where it is sure."""
    try:
        record = compiled(schema, names)(value)
    except (ConversionUnsure, RecursionError):
        return convert.to_avro(schema, names, value)
    assert isinstance(record, dict)
    return record, []
