"""Projection schemas for partners: only the kept paths, registrable, encodable."""

from __future__ import annotations

import pytest

from schemas import Codec, UnknownFieldPath, load_catalogue, project
from schemas.validation import validate


def test_projection_keeps_only_the_agreed_paths() -> None:
    cat = load_catalogue()
    source = cat.get("IntelligenceReport")
    schema = project(
        source,
        [
            "envelope",
            "exploitation_types",
            "people[].role",
            "people[].age",
            "premises[].force_area",
            "premises[].premises_type",
        ],
        name="IntelligenceReportForNgo",
        namespace="org.pentameter.projections.ngo",
        optional=["people[].age"],
    )
    entry = cat.register(schema, name="IntelligenceReport@ngo")
    paths = [f.path for f in entry.leaf_fields]
    assert paths[:11] == [f.path for f in source.leaf_fields[:11]]  # whole envelope
    assert paths[11:] == [
        "exploitation_types",
        "people[].role",
        "people[].age",
        "premises[].premises_type",
        "premises[].force_area",
    ]
    assert entry.field("people[].age").nullable
    assert entry.full_name == "org.pentameter.projections.ngo.IntelligenceReportForNgo"
    assert entry.schema["projected_from"]["fingerprint"] == source.fingerprint_hex
    assert all("narrative" not in p and "source" not in p for p in paths)
    # conditional marks follow their deciding field: kept for people (role kept), dropped for
    # premises (neither role nor is_safe_house kept)
    age = entry.field("people[].age")
    assert [c.condition_path for c in age.conditional] == ["people[].role"]
    assert entry.field("premises[].premises_type").conditional == ()


def test_projected_records_encode_and_decode() -> None:
    cat = load_catalogue()
    source = cat.get("AssetSeizure")
    schema = project(
        source,
        ["envelope.event_id", "kind", "amount_pence", "subject.role"],
        name="AssetSeizureForCps",
        namespace="org.pentameter.projections.cps",
    )
    entry = cat.register(schema, name="AssetSeizure@cps")
    record = validate(
        {
            "envelope": {"event_id": "7f1c6a8e-0000-4000-8000-000000000008"},
            "kind": "CASH_SEIZURE",
            "amount_pence": 100,
            "subject": {"role": "SUSPECT"},
        },
        "AssetSeizure@cps",
        catalogue=cat,
    )
    codec = Codec(cat)
    decoded_entry, decoded = codec.decode(codec.encode(entry, record))
    assert decoded_entry is entry and decoded == record


def test_same_type_projected_differently_gets_distinct_names() -> None:
    source = load_catalogue().get("AssetSeizure")
    schema = project(source, ["account.role", "subject.name", "subject.role"], name="P", namespace="p")
    account = schema["fields"][0]["type"][1]
    subject = schema["fields"][1]["type"][1]
    assert account["name"] == "p.Account" and subject["name"] == "p.Person"
    roles = [f["type"] for f in subject["fields"] if f["name"] == "role"]
    assert roles == ["p.PoleRole"]  # defined once in account, referenced after


def test_unknown_paths_are_named() -> None:
    source = load_catalogue().get("Arrest")
    with pytest.raises(UnknownFieldPath, match=r"nope, person\.shoe_size"):
        project(source, ["person.name", "person.shoe_size", "nope"], name="X", namespace="x")
