"""The native Avro codec against fastavro, its reference: byte for byte and value for value.

For every event schema, records drawn from the schema itself (``schemas.testing``) must encode to
fastavro's bytes and decode to fastavro's values (types and time zones included). Hand-made
schemas cover what the event schemas do not use (floats, bytes, fixed, maps, unions of several
branches, records in unions), fed with values of every Python type, wrong ones included: wherever
fastavro refuses a value the native encoder must refuse it too, and wherever the native encoder
writes one the bytes must be fastavro's. Bodies that are not values (truncated, garbage, forged
lengths) must raise, never crash or hang. The projection schemas of the baseline agreements are
checked in ``tests/unit/policies/test_policies_native_codec.py``.
"""

from __future__ import annotations

import copy
import io
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import Catalogue, Codec, UndecodableBody, UnencodableRecord, load_catalogue, sample
from schemas import _native as core
from schemas.compatibility import CompatibilityMode
from schemas.entry import SchemaEntry
from schemas.wire import HEADER_SIZE
from tests.support.records import records
from tests.support.values import same_values

CATALOGUE = load_catalogue()
EVENTS = CATALOGUE.event_types()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def fastavro_bytes(parsed: Any, value: Any) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, parsed, value)
    return out.getvalue()


def fastavro_value(parsed: Any, body: bytes) -> tuple[Any, int]:
    stream = io.BytesIO(body)
    value = schemaless_reader(stream, parsed, None)
    return value, stream.tell()


def assert_agrees(entry_parsed: Any, program: core.Program, value: Any) -> None:
    """The native encoder writes fastavro's bytes or refuses; it refuses whatever fastavro refuses;
    what it writes reads back as fastavro reads it."""
    try:
        expected = fastavro_bytes(entry_parsed, value)
    except Exception:
        with pytest.raises(core.EncodeError):
            core.encode(program, value)
        return
    try:
        got = core.encode(program, value)
    except core.EncodeError:
        return  # declined: wire.Codec then writes fastavro's bytes (tested below)
    assert got == expected
    decoded, end = core.decode(program, got)
    reference, reference_end = fastavro_value(entry_parsed, got)
    assert end == reference_end == len(got)
    assert same_values(decoded, reference), (decoded, reference)


@pytest.mark.parametrize("event_type", EVENTS)
def test_every_event_schema_encodes_and_decodes_as_fastavro(event_type: str) -> None:
    entry = CATALOGUE.latest(event_type)
    program = core.compile(entry.parsed)

    @SETTINGS
    @given(records(event_type))
    def check(record: dict[str, Any]) -> None:
        expected = fastavro_bytes(entry.parsed, record)
        assert core.encode(program, record) == expected  # valid records are never declined
        assert core.encode(program, record, b"\xc3\x01" + entry.fingerprint) == b"\xc3\x01" + (
            entry.fingerprint + expected
        )
        decoded, end = core.decode(program, expected)
        reference, _ = fastavro_value(entry.parsed, expected)
        assert end == len(expected)
        assert same_values(decoded, reference), (decoded, reference)

    check()


def test_values_have_fastavros_types_and_time_zone() -> None:
    schema = {
        "type": "record",
        "name": "t.Logical",
        "fields": [
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "kind", "type": {"type": "enum", "name": "t.Kind", "symbols": ["A", "B"]}},
        ],
    }
    parsed = parse_schema(schema)
    program = core.compile(parsed)
    value = {
        "day": date(1999, 11, 17),
        "at": datetime(2026, 6, 1, 12, 30, 5, 123999, tzinfo=UTC),
        "id": uuid.UUID(int=7),
        "kind": "B",
    }
    body = core.encode(program, value)
    decoded, _ = core.decode(program, body)
    assert decoded == {
        "day": date(1999, 11, 17),
        "at": datetime(2026, 6, 1, 12, 30, 5, 123000, tzinfo=UTC),  # milliseconds, rounded down
        "id": uuid.UUID(int=7),
        "kind": "B",
    }
    assert decoded["at"].tzinfo is UTC  # datetime.timezone.utc, as fastavro
    assert type(decoded["id"]) is uuid.UUID
    assert same_values(decoded, fastavro_value(parsed, body)[0])


class _ShortUuid(uuid.UUID):
    """A UUID that writes itself otherwise: fastavro writes its str(), so must the core."""

    def __str__(self) -> str:
        return self.hex[:12]


@given(st.uuids())
def test_a_uuid_is_written_as_its_str_whatever_its_class(value: uuid.UUID) -> None:
    parsed = parse_schema({"type": "string", "logicalType": "uuid"})
    program = core.compile(parsed)
    assert core.encode(program, value) == fastavro_bytes(parsed, value)
    assert core.encode(program, value)[1:] == str(value).encode()
    subclass = _ShortUuid(int=value.int)
    assert core.encode(program, subclass) == fastavro_bytes(parsed, subclass)
    assert core.encode(program, subclass)[1:] == value.hex[:12].encode()


# -- hand-made schemas: every type, and values of every Python type ---------------------------------

ENUM = {"type": "enum", "name": "t.Colour", "symbols": ["RED", "GREEN", "BLUE"]}
POINT = {
    "type": "record",
    "name": "t.Point",
    "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": ["null", "long"], "default": None}],
}
LABEL = {
    "type": "record",
    "name": "t.Label",
    "fields": [{"name": "x", "type": "string"}, {"name": "text", "type": "string", "default": "none"}],
}
MIXED = {
    "type": "record",
    "name": "t.Mixed",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "precise", "type": "double"},
        {"name": "blob", "type": "bytes"},
        {"name": "digest", "type": {"type": "fixed", "name": "t.Digest", "size": 4}},
        {"name": "colour", "type": ENUM},
        {"name": "masked", "type": ["null", "t.Colour", "string"], "default": None},
        {"name": "number", "type": ["null", "int", "long", "string"]},
        {"name": "real", "type": ["float", "double", "null"]},
        {"name": "shape", "type": ["null", POINT, LABEL]},
        {"name": "tags", "type": {"type": "map", "values": ["null", "int"]}, "default": {}},
        {"name": "points", "type": {"type": "array", "items": "t.Point"}, "default": []},
        {"name": "when", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}], "default": None},
        {"name": "ref", "type": ["null", {"type": "string", "logicalType": "uuid"}]},
        {"name": "note", "type": "string", "default": "none"},
    ],
}
MIXED_PARSED = parse_schema(MIXED)
MIXED_PROGRAM = core.compile(MIXED_PARSED)

offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.integers(-(2**31) - 2, 2**31 + 2),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["RED", "GREEN", "BLUE", "PURPLE"]),
    st.binary(max_size=6),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC) | offsets),
    st.uuids(),
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(["x", "y", "text", "-type", "z"]), inner, max_size=3),
        st.dictionaries(st.integers(0, 3), inner, max_size=2),
    ),
    max_leaves=8,
)
GOOD = {
    "flag": st.booleans(),
    "small": st.integers(-(2**31), 2**31 - 1),
    "big": st.integers(-(2**63), 2**63 - 1),
    "ratio": st.floats(allow_nan=False, width=32),
    "precise": st.floats(allow_nan=False),
    "blob": st.binary(max_size=8),
    "digest": st.binary(min_size=4, max_size=4),
    "colour": st.sampled_from(["RED", "GREEN", "BLUE"]),
    "masked": st.none() | st.sampled_from(["RED", "BLUE", "***", "RE"]),
    "number": st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4),
    "real": st.none() | st.floats(allow_nan=False) | st.integers(-(2**40), 2**40),
    "shape": st.none()
    | st.fixed_dictionaries({"x": st.integers(-5, 5)}, optional={"y": st.none() | st.integers()})
    | st.fixed_dictionaries({"x": st.text(max_size=3)}, optional={"text": st.text(max_size=3)}),
    "tags": st.dictionaries(st.text(max_size=3), st.none() | st.integers(-(2**31), 2**31 - 1), max_size=3),
    "points": st.lists(st.fixed_dictionaries({"x": st.integers(-(2**31), 2**31 - 1)}), max_size=3),
    "when": st.none()
    | st.datetimes(timezones=st.just(UTC))
    | st.datetimes(timezones=offsets)
    | st.integers(-(2**40), 2**40),
    "day": st.none() | st.dates() | st.datetimes(),
    "ref": st.none() | st.uuids() | st.uuids().map(str),
    "note": st.text(max_size=5),
}


@SETTINGS
@given(st.fixed_dictionaries({}, optional=GOOD))
def test_every_type_encodes_as_fastavro(record: dict[str, Any]) -> None:
    assert_agrees(MIXED_PARSED, MIXED_PROGRAM, record)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_wrong_values_are_refused_wherever_fastavro_refuses_them(data: st.DataObject) -> None:
    record = data.draw(st.fixed_dictionaries(GOOD))
    for name in data.draw(st.lists(st.sampled_from(sorted(GOOD)), min_size=1, max_size=2)):
        record[name] = data.draw(anything, label=name)  # one or two fields of any Python type
    assert_agrees(MIXED_PARSED, MIXED_PROGRAM, record)


COMPLETE = {
    "flag": True,
    "small": -3,
    "big": 2**40,
    "ratio": 0.5,
    "precise": -1.25,
    "blob": b"\x00\xff",
    "digest": b"abcd",
    "colour": "GREEN",
    "masked": "***",
    "number": 2**40,
    "real": 2.5,
    "shape": {"x": "a", "text": "b"},
    "tags": {"a": 1, "b": None},
    "points": [{"x": 1}, {"x": 2, "y": 3}],
    "when": datetime(2020, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    "day": date(2000, 1, 1),
    "ref": uuid.UUID(int=1),
    "note": "é€😀",
}


def test_a_complete_record_is_written_natively() -> None:
    record = copy.deepcopy(COMPLETE)
    assert core.encode(MIXED_PROGRAM, record) == fastavro_bytes(MIXED_PARSED, record)
    decoded, _ = core.decode(MIXED_PROGRAM, core.encode(MIXED_PROGRAM, record))
    assert decoded["shape"] == {"x": "a", "text": "b"}  # the record branch sharing most fields
    assert decoded["when"] == datetime(2020, 3, 1, 4, 59, 59, 999000, tzinfo=UTC)


# -- errors, and wire.Codec around them ------------------------------------------------------------


def _codec_for(schema: dict[str, Any]) -> tuple[Codec, SchemaEntry]:
    entry = SchemaEntry.build(
        "Mixed", 1, schema, compatibility=CompatibilityMode.BACKWARD, kind="test", origin="test"
    )
    return Codec(Catalogue([entry])), entry


def test_an_encoding_error_names_the_field_path() -> None:
    entry = CATALOGUE.latest("IntelligenceReport")
    record = sample("IntelligenceReport")
    record["envelope"]["event_id"] = 5
    with pytest.raises(core.EncodeError, match=r"^envelope\.event_id: "):
        core.encode(core.compile(entry.parsed), record)
    with pytest.raises(UnencodableRecord, match=r"IntelligenceReport v1: envelope\.event_id: "):
        Codec(CATALOGUE).encode("IntelligenceReport", record)
    codec, _ = _codec_for(MIXED)
    good = copy.deepcopy(COMPLETE)
    good["points"] = [{"x": 1}, {"x": "two"}]
    with pytest.raises(UnencodableRecord, match=r"points\[1\]\.x: expected int, got str"):
        codec.encode("Mixed", good)
    del good["flag"]
    with pytest.raises(UnencodableRecord, match="flag: no value and no default"):
        codec.encode("Mixed", good)


def test_values_only_fastavro_takes_are_written_with_its_bytes() -> None:
    codec, entry = _codec_for(MIXED)
    assert entry.program is not None
    record = copy.deepcopy(COMPLETE)
    record.update(small=True, points=({"x": 1},), when=None, number=None)  # bool as int, tuple
    with pytest.raises(core.EncodeError):
        core.encode(entry.program, record)
    assert codec.encode("Mixed", record)[HEADER_SIZE:] == fastavro_bytes(entry.parsed, record)


def test_a_schema_the_native_codec_does_not_run_is_left_to_fastavro() -> None:
    schema = {
        "type": "record",
        "name": "t.Money",
        "fields": [{"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}}],
    }
    with pytest.raises(core.SchemaError):
        core.compile(parse_schema(schema))
    codec, entry = _codec_for(schema)
    assert entry.program is None
    value = {"at": datetime(2026, 1, 1, tzinfo=UTC)}
    assert codec.decode(codec.encode("Mixed", value))[1] == value


# -- bodies that are not values --------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENTS)
def test_every_truncated_body_raises(event_type: str) -> None:
    entry = CATALOGUE.latest(event_type)
    program = core.compile(entry.parsed)
    codec = Codec(CATALOGUE)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(records(event_type))
    def check(record: dict[str, Any]) -> None:
        body = core.encode(program, record)
        for end in range(len(body)):
            with pytest.raises(core.DecodeError):
                core.decode(program, body[:end])
        with pytest.raises(UndecodableBody):
            codec.decode(codec.encode(entry, record)[:-1])
        with pytest.raises(UndecodableBody, match="1 trailing byte"):
            codec.decode(codec.encode(entry, record) + b"\x00")

    check()


@pytest.mark.parametrize("event_type", EVENTS)
def test_garbage_raises_or_reads_as_fastavro_reads_it(event_type: str) -> None:
    entry = CATALOGUE.latest(event_type)
    program = core.compile(entry.parsed)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        body = bytearray(core.encode(program, data.draw(records(event_type))))
        for _ in range(data.draw(st.integers(1, 4))):  # overwrite a few bytes anywhere
            at = data.draw(st.integers(0, len(body) - 1))
            body[at] = data.draw(st.integers(0, 255))
        body += data.draw(st.binary(max_size=4))
        assert_reads_as_fastavro(entry.parsed, program, bytes(body))

    check()


@SETTINGS
@given(st.binary(max_size=64), st.sampled_from(EVENTS))
def test_random_bytes_raise_or_read_as_fastavro_reads_them(body: bytes, event_type: str) -> None:
    entry = CATALOGUE.latest(event_type)
    assert_reads_as_fastavro(entry.parsed, entry.program or core.compile(entry.parsed), body)


def assert_reads_as_fastavro(parsed: Any, program: core.Program, body: bytes) -> None:
    try:
        reference, reference_end = fastavro_value(parsed, body)
    except Exception:
        with pytest.raises(core.DecodeError):
            core.decode(program, body)
        return
    decoded, end = core.decode(program, body)
    assert end == reference_end
    assert same_values(decoded, reference)


def varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append(z & 0x7F | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


@pytest.mark.parametrize("length", [2**62, 2**31, 10**6, -1, -(2**63)])
def test_forged_lengths_and_counts_raise_at_once(length: int) -> None:
    string = core.compile(
        parse_schema({"type": "record", "name": "t.S", "fields": [{"name": "s", "type": "string"}]})
    )
    with pytest.raises(core.DecodeError, match=r"length|negative"):
        core.decode(string, varint(length) + b"abc")
    items = core.compile(parse_schema({"type": "array", "items": "long"}))
    with pytest.raises(core.DecodeError):
        core.decode(items, varint(length) + b"\x02\x04")
    nulls = core.compile(parse_schema({"type": "array", "items": "null"}))  # items of no bytes
    if length > 2**20:
        with pytest.raises(core.DecodeError, match="empty items"):
            core.decode(nulls, varint(length) + b"\x00")


def test_long_varints_read_as_fastavro_reads_them() -> None:
    program = core.compile(parse_schema("long"))
    for body in (
        b"\xff" * 9 + b"\x01",
        b"\xff" * 10 + b"\x01",
        b"\x80" * 12 + b"\x7f",
        b"\xfe" * 20 + b"\x03",
    ):
        assert core.decode(program, body) == fastavro_value("long", body)
    with pytest.raises(core.DecodeError, match="ends early"):
        core.decode(program, b"\xff" * 30)


def test_indexes_count_from_the_end_as_python_does() -> None:
    union = ["null", "int", "string"]
    program = core.compile(parse_schema(union))
    for body in (b"\x01\x02a", b"\x03\x04", b"\x05", b"\x07", b"\x06"):
        assert_reads_as_fastavro(parse_schema(union), program, body)
    enum = core.compile(parse_schema(ENUM))
    assert core.decode(enum, b"\x01") == ("BLUE", 1)
    with pytest.raises(core.DecodeError, match="enum index"):
        core.decode(enum, b"\x07")
