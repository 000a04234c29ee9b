"""Single-object encoding: round trips, header layout, and every kind of bad input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from schemas import (
    Catalogue,
    Codec,
    IncompatibleReader,
    NotSingleObjectEncoded,
    UndecodableBody,
    UnencodableRecord,
    UnknownFingerprint,
    WireError,
    load_catalogue,
    sample,
)
from schemas.validation import validate
from schemas.wire import HEADER_SIZE, MAGIC, read_fingerprint
from tests.support.records import any_record

CATALOGUE = load_catalogue()
CODEC = Codec(CATALOGUE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_record(CATALOGUE))
def test_any_valid_record_round_trips(tagged: tuple[str, dict[str, Any]]) -> None:
    event_type, record = tagged
    assert validate(record, catalogue=CATALOGUE) == record
    data = CODEC.encode(event_type, record)
    entry, decoded = CODEC.decode(data)
    assert entry is CATALOGUE.latest(event_type)
    assert decoded == record


def test_header_layout() -> None:
    entry = CATALOGUE.latest("Arrest")
    data = CODEC.encode("Arrest", sample("Arrest"))
    assert data[:2] == MAGIC == b"\xc3\x01"
    assert data[2:HEADER_SIZE] == entry.fingerprint
    assert int.from_bytes(data[2:10], "little") == int(entry.fingerprint[::-1].hex(), 16)
    assert read_fingerprint(data) == entry.fingerprint


def test_encode_with_an_entry_or_name_gives_same_bytes() -> None:
    record = sample("PremisesVisit")
    entry = CATALOGUE.get("PremisesVisit", 1)
    assert CODEC.encode(entry, record) == CODEC.encode("PremisesVisit", record)


@pytest.mark.parametrize("data", [b"", b"\xc3", b"\x00\x01" + bytes(20), b'{"json": 1}'])
def test_not_single_object_encoded(data: bytes) -> None:
    with pytest.raises(NotSingleObjectEncoded, match="c301"):
        CODEC.decode(data)
    with pytest.raises(WireError):
        read_fingerprint(data)


def test_header_too_short() -> None:
    with pytest.raises(NotSingleObjectEncoded, match="fewer than the 10-byte header"):
        CODEC.decode(MAGIC + b"\x01\x02")


def test_unknown_fingerprint_names_it_in_hex() -> None:
    data = MAGIC + bytes.fromhex("deadbeefcafef00d") + b"\x00"
    with pytest.raises(UnknownFingerprint, match="deadbeefcafef00d") as err:
        CODEC.decode(data)
    assert err.value.fingerprint == bytes.fromhex("deadbeefcafef00d")
    assert isinstance(err.value, WireError)


def test_truncated_body() -> None:
    data = CODEC.encode("IntelligenceReport", sample("IntelligenceReport"))
    fingerprint = CATALOGUE.latest("IntelligenceReport").fingerprint_hex
    with pytest.raises(UndecodableBody, match=fingerprint) as err:
        CODEC.decode(data[:-40])
    assert "IntelligenceReport v1" in str(err.value)


def test_trailing_bytes_are_refused() -> None:
    data = CODEC.encode("DutyToNotify", sample("DutyToNotify"))
    with pytest.raises(UndecodableBody, match="1 trailing byte"):
        CODEC.decode(data + b"\x00")


def test_corrupt_length_prefix_is_undecodable() -> None:
    data = bytearray(CODEC.encode("DutyToNotify", sample("DutyToNotify")))
    # the body starts with the envelope's event_id string (length 36 -> zigzag 72 = 0x48)
    data[HEADER_SIZE] = 0x7E  # claim a 63-byte string: runs into the next fields
    with pytest.raises(UndecodableBody):
        CODEC.decode(bytes(data[: HEADER_SIZE + 30]))


def test_record_that_does_not_fit_is_unencodable() -> None:
    record = sample("Arrest")
    record["offences"] = "not a list"
    with pytest.raises(UnencodableRecord, match="Arrest v1"):
        CODEC.encode("Arrest", record)


def test_decode_into_a_newer_reader_schema() -> None:
    catalogue = load_catalogue()
    codec = Codec(catalogue)
    v1 = catalogue.latest("PremisesVisit")
    record = sample("PremisesVisit")
    old_bytes = codec.encode(v1, record)
    newer = copy.deepcopy(dict(v1.schema))
    newer["fields"].append(
        {"name": "warrant", "type": "boolean", "default": False, "doc": "Visit under warrant."}
    )
    v2 = catalogue.register(newer, name="PremisesVisit", kind="event")
    assert v2.version == 2
    writer, upgraded = codec.decode(old_bytes, reader="PremisesVisit")
    assert writer is v1
    assert upgraded == {**record, "warrant": False}
    incompatible = copy.deepcopy(dict(v1.schema))
    incompatible["fields"].append({"name": "x", "type": "int", "doc": "No default."})
    other = Catalogue([v1])
    entry = other.register(incompatible, name="Other")
    with pytest.raises(IncompatibleReader, match="x: reader_field_missing_default"):
        Codec(other).decode(old_bytes, reader=entry)
