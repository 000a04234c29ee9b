"""Avro schema-resolution rules and compatibility modes, checked against real fastavro reads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from schemas import CompatibilityMode, check_history, check_new_version
from schemas.compatibility import RULES, can_read, reader_writer_incompatibilities
from schemas.naming import expand

Mode = CompatibilityMode


def rec(*fields: dict[str, Any], name: str = "ns.R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def rules(reader: Any, writer: Any) -> list[tuple[str, str]]:
    return [(i.path, i.rule) for i in reader_writer_incompatibilities(reader, writer)]


def fastavro_reads(reader: Any, writer: Any, datum: Any) -> bool:
    out = io.BytesIO()
    schemaless_writer(out, parse_schema(writer), datum)
    out.seek(0)
    try:
        schemaless_reader(out, parse_schema(writer), parse_schema(reader))
    except Exception:
        return False
    return True


ENUM = {"type": "enum", "name": "ns.E", "symbols": ["A", "B", "C"]}


@pytest.mark.parametrize(
    ("reader", "writer", "expected"),
    [
        # fields
        (rec(f("a", "int")), rec(f("a", "int")), []),
        (rec(f("a", "int"), f("b", "string")), rec(f("a", "int")), [("b", "reader_field_missing_default")]),
        (rec(f("a", "int"), f("b", "string", default="x")), rec(f("a", "int")), []),
        (rec(f("a", "int")), rec(f("a", "int"), f("gone", "string")), []),
        (rec(f("new", "int", aliases=["old"])), rec(f("old", "int")), []),
        # promotions
        (rec(f("a", "long")), rec(f("a", "int")), []),
        (rec(f("a", "double")), rec(f("a", "float")), []),
        (rec(f("a", "float")), rec(f("a", "long")), []),
        (rec(f("a", "int")), rec(f("a", "long")), [("a", "type_mismatch")]),
        (rec(f("a", "bytes")), rec(f("a", "string")), []),
        (rec(f("a", "string")), rec(f("a", "bytes")), []),
        (rec(f("a", "string")), rec(f("a", "int")), [("a", "type_mismatch")]),
        # enums
        (rec(f("e", ENUM)), rec(f("e", {**ENUM, "symbols": ["A", "B"]})), []),
        (rec(f("e", {**ENUM, "symbols": ["A", "B"]})), rec(f("e", ENUM)), [("e", "missing_enum_symbols")]),
        (rec(f("e", {**ENUM, "symbols": ["A", "B"], "default": "A"})), rec(f("e", ENUM)), []),
        # unions
        (rec(f("a", ["null", "string"])), rec(f("a", "string")), []),
        (rec(f("a", "string")), rec(f("a", ["null", "string"])), [("a", "missing_union_branch")]),
        (rec(f("a", ["null", "long"])), rec(f("a", ["null", "int"])), []),
        (rec(f("a", ["null", "string"])), rec(f("a", ["null", "int"])), [("a", "missing_union_branch")]),
        # nested records, arrays and maps
        (
            rec(f("p", {"type": "array", "items": rec(f("age", "int"), name="ns.P")})),
            rec(f("p", {"type": "array", "items": rec(f("age", "long"), name="ns.P")})),
            [("p[].age", "type_mismatch")],
        ),
        (rec(f("m", {"type": "map", "values": "long"})), rec(f("m", {"type": "map", "values": "int"})), []),
        (
            rec(f("m", {"type": "map", "values": "int"})),
            rec(f("m", {"type": "map", "values": "string"})),
            [("m{}", "type_mismatch")],
        ),
        (
            rec(f("n", ["null", rec(f("x", "int"), f("y", "int"), name="ns.N")], default=None)),
            rec(f("n", ["null", rec(f("x", "int"), name="ns.N")], default=None)),
            [("n.y", "reader_field_missing_default")],
        ),
        # fixed and names
        (
            rec(f("h", {"type": "fixed", "name": "ns.H", "size": 16})),
            rec(f("h", {"type": "fixed", "name": "ns.H", "size": 8})),
            [("h", "fixed_size_mismatch")],
        ),
        (rec(f("a", "int"), name="ns.New"), rec(f("a", "int"), name="ns.Old"), [("", "name_mismatch")]),
        (rec(f("a", "int"), name="ns.New", aliases=["ns.Old"]), rec(f("a", "int"), name="ns.Old"), []),
        (rec(f("a", "int")), rec(f("a", "string")), [("a", "type_mismatch")]),
        (rec(f("a", {"type": "array", "items": "int"})), rec(f("a", "int")), [("a", "type_mismatch")]),
    ],
)
def test_reader_writer_rules(reader: Any, writer: Any, expected: list[tuple[str, str]]) -> None:
    assert rules(reader, writer) == expected
    assert all(rule in RULES for _, rule in expected)


@pytest.mark.parametrize(
    ("reader", "writer", "datum"),
    [
        (rec(f("a", "long")), rec(f("a", "int")), {"a": 5}),
        (rec(f("a", "int"), f("b", "string", default="x")), rec(f("a", "int")), {"a": 1}),
        (rec(f("e", {**ENUM, "symbols": ["A"], "default": "A"})), rec(f("e", ENUM)), {"e": "C"}),
        (rec(f("a", ["null", "string"])), rec(f("a", "string")), {"a": "s"}),
    ],
)
def test_what_we_accept_fastavro_really_reads(reader: Any, writer: Any, datum: Any) -> None:
    assert can_read(reader, writer)
    assert fastavro_reads(reader, writer, datum)


def test_what_we_refuse_fastavro_really_cannot_read() -> None:
    reader, writer = rec(f("a", "int"), f("b", "string")), rec(f("a", "int"))
    assert not can_read(reader, writer)
    assert not fastavro_reads(reader, writer, {"a": 1})


def test_logical_type_change_is_flagged() -> None:
    millis = rec(f("t", {"type": "long", "logicalType": "timestamp-millis"}))
    micros = rec(f("t", {"type": "long", "logicalType": "timestamp-micros"}))
    assert rules(micros, millis) == [("t", "logical_type_changed")]


def test_recursive_types_terminate() -> None:
    node = rec(f("v", "int"), f("next", ["null", "ns.Node"], default=None), name="ns.Node")
    assert can_read(node, node)
    wider = rec(f("v", "long"), f("next", ["null", "ns.Node"], default=None), name="ns.Node")
    assert can_read(wider, node)
    assert not can_read(node, wider)


V1 = rec(f("envelope", "string"), name="ns.IntelligenceReport")
V2 = rec(f("envelope", "string"), f("tlp", ["null", "string"], default=None), name="ns.IntelligenceReport")
V3 = rec(
    f("envelope", "string"),
    f("tlp", ["null", "string"], default=None),
    f("narrative", "string"),
    name="ns.IntelligenceReport",
)


def test_finding_message_names_versions_field_and_direction() -> None:
    findings = check_new_version("IntelligenceReport", (3, V3), [(1, V1), (2, V2)], Mode.BACKWARD)
    assert [str(x) for x in findings] == [
        "IntelligenceReport v3 vs v2 (BACKWARD): field 'narrative' added without a default: "
        "a v3 reader cannot read v2 data"
    ]
    forward = check_new_version("IntelligenceReport", (3, V1), [(2, V3)], Mode.FORWARD)
    assert [str(x) for x in forward] == [
        "IntelligenceReport v3 vs v2 (FORWARD): field 'narrative' removed, and v2 gives it no "
        "default: a v2 reader cannot read v3 data"
    ]


def test_backward_vs_forward_vs_full() -> None:
    # adding a field with no default: old data unreadable by the new reader
    add = [(1, rec(f("a", "int"))), (2, rec(f("a", "int"), f("b", "int")))]
    assert check_history("S", add, Mode.BACKWARD)
    assert not check_history("S", add, Mode.FORWARD)
    assert check_history("S", add, Mode.FULL)
    # removing a field with no default: new data unreadable by the old reader
    remove = [(1, rec(f("a", "int"), f("b", "int"))), (2, rec(f("a", "int")))]
    assert not check_history("S", remove, Mode.BACKWARD)
    assert check_history("S", remove, Mode.FORWARD)
    assert check_history("S", remove, Mode.FULL)
    # optional field with a default: fine every way
    optional = [(1, rec(f("a", "int"))), (2, rec(f("a", "int"), f("b", "int", default=0)))]
    for mode in Mode:
        assert not check_history("S", optional, mode)
    assert not check_history("S", add, Mode.NONE)


def test_transitive_checks_all_earlier_versions() -> None:
    backward = [
        (1, rec(f("x", "int"))),
        (2, rec(f("x", "int"), f("y", "string", default="a"))),
        (3, rec(f("y", "string"))),
    ]
    assert not check_history("S", backward, Mode.BACKWARD)
    found = check_history("S", backward, Mode.BACKWARD_TRANSITIVE)
    assert [(x.new_version, x.old_version, x.path, x.rule) for x in found] == [
        (3, 1, "y", "reader_field_missing_default")
    ]
    forward = [
        (1, rec(f("a", "int"))),
        (2, rec(f("a", "int", default=0))),
        (3, rec(f("b", "int", default=0))),
    ]
    assert not check_history("S", forward, Mode.FORWARD)
    found = check_history("S", forward, Mode.FORWARD_TRANSITIVE)
    assert [(x.new_version, x.old_version, x.direction, x.path) for x in found] == [(3, 1, "FORWARD", "a")]
    assert check_history("S", forward, Mode.FULL_TRANSITIVE)
    assert not check_history("S", forward, Mode.FULL)


def test_mode_flags() -> None:
    assert Mode.FULL_TRANSITIVE.transitive and Mode.FULL.backward and Mode.FULL.forward
    assert Mode.BACKWARD.backward and not Mode.BACKWARD.forward
    assert Mode.FORWARD_TRANSITIVE.forward and not Mode.FORWARD_TRANSITIVE.backward
    assert not Mode.NONE.backward and not Mode.NONE.forward


def named(kind: str, name: str, namespace: str | None, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"record": {"fields": [f("x", "int")]}, "enum": {"symbols": ["A"]}}.get(
        kind, {"size": 4}
    )
    node = {"type": kind, "name": name, **body}
    if namespace:
        node["namespace"] = namespace
    if aliases:
        node["aliases"] = list(aliases)
    return node


# Verdicts of Apache Avro 1.12.2 SchemaCompatibility.checkReaderWriterCompatibility on the same pairs.
@pytest.mark.parametrize("kind", ["record", "enum", "fixed"])
@pytest.mark.parametrize(
    ("reader", "writer", "avro_says"),
    [
        (("New", "a", ("Old",)), ("Old", "b"), "NAME_MISMATCH"),
        (("New", "a", ("Old",)), ("Old", "a"), "COMPATIBLE"),
        (("New", "a", ("b.Old",)), ("Old", "b"), "COMPATIBLE"),
        (("New", None, ("Old",)), ("Old", "b"), "NAME_MISMATCH"),
        (("New", "a", ("Old",)), ("Old", None), "NAME_MISMATCH"),
        (("New", None, ("Old",)), ("Old", None), "COMPATIBLE"),
        (("Old", "a", ()), ("Old", "b"), "COMPATIBLE"),
    ],
)
def test_name_and_alias_matching_agrees_with_apache_avro(
    kind: str, reader: tuple[Any, ...], writer: tuple[Any, ...], avro_says: str
) -> None:
    found = rules(named(kind, *reader), named(kind, *writer))
    assert found == ([("", "name_mismatch")] if avro_says == "NAME_MISMATCH" else [])


def test_a_nested_alias_is_qualified_in_the_namespace_it_inherits() -> None:
    def outer(namespace: str, inner: dict[str, Any]) -> Any:
        return expand({"type": "record", "name": "R", "namespace": namespace, "fields": [f("i", inner)]}, {})

    reader = outer("a", named("record", "NewInner", None, ("OldInner",)))
    assert rules(reader, outer("a", named("record", "OldInner", None))) == []
    assert rules(reader, outer("b", named("record", "OldInner", None))) == [("i", "name_mismatch")]


def test_a_reader_union_branch_aliasing_another_namespace_matches_nothing() -> None:
    reader = ["null", named("record", "New", "a", ("Old",))]
    assert rules(reader, named("record", "Old", "b")) == [("", "missing_union_branch")]


@pytest.mark.parametrize(
    "reader_field",
    [f("x", "int", aliases=["y"]), f("z", "int", aliases=["x", "y"])],
    ids=["name and alias", "two aliases"],
)
def test_a_reader_field_matching_two_writer_fields_is_refused(reader_field: dict[str, Any]) -> None:
    writer = rec(f("x", "int"), f("y", "int"))
    reader = rec(reader_field)
    found = reader_writer_incompatibilities(reader, writer)
    assert [(i.path, i.rule, i.symbols) for i in found] == [
        (
            reader_field["name"],
            "reader_field_ambiguous",
            ("x", "y"),
        )
    ]
    assert not fastavro_reads(reader, writer, {"x": 1, "y": 2})  # Avro: "matches multiple fields"
    one = rec(f("z", "int", aliases=["y"]))
    assert can_read(one, writer) and fastavro_reads(one, writer, {"x": 1, "y": 2})


def test_an_ambiguous_field_is_explained_with_the_fields_it_matches() -> None:
    old = rec(f("x", "int"), f("y", "int"))
    new = rec(f("x", "int", aliases=["y"]))
    findings = check_new_version("S", (2, new), [(1, old)], Mode.BACKWARD)
    assert [str(x) for x in findings] == [
        "S v2 vs v1 (BACKWARD): field 'x': its name and aliases match the v1 fields x, y: "
        "a v2 reader cannot read v1 data"
    ]
