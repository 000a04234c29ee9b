"""Catalogue loading, lookups, fingerprints, field paths, marks and runtime registration."""

from __future__ import annotations

import copy
import json

import pytest

from schemas import (
    ALL_MARKS,
    Catalogue,
    CatalogueError,
    CompatibilityMode,
    FingerprintMismatch,
    IncompatibleSchema,
    SchemaDefinitionError,
    UnknownFieldPath,
    UnknownFingerprint,
    UnknownSchema,
    load_catalogue,
)
from schemas.catalogue import fingerprint_bytes
from schemas.naming import NAMED_KINDS

EVENT_TYPES = [
    "Arrest",
    "AssetSeizure",
    "DutyToNotify",
    "IntelligenceReport",
    "NRMDecision",
    "NRMReferral",
    "PotentialVictimEncounter",
    "PremisesVisit",
]

# Published versions must never change: a changed fingerprint here means a v1 schema (or a
# common type it uses) was edited in place. Add a new version (and common set) instead.
PINNED_V1 = {
    "Arrest": "e51c4266ff660e13",
    "AssetSeizure": "9a04f24aaa3ca72a",
    "DutyToNotify": "de1fbbe70f4c8a42",
    "IntelligenceReport": "eefd320ea4a4822e",
    "NRMDecision": "803e523e31e24a06",
    "NRMReferral": "2e79bd2bac7ccc2e",
    "PotentialVictimEncounter": "d8aa575b444d7984",
    "PremisesVisit": "6178ea06c628f665",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _crc64_avro(data: bytes) -> int:
    """Independent CRC-64-AVRO straight from the Avro specification."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def test_every_event_type_is_loaded_with_its_mode(catalogue: Catalogue) -> None:
    assert catalogue.event_types() == EVENT_TYPES
    for name in EVENT_TYPES:
        assert catalogue.mode(name) is CompatibilityMode.FULL_TRANSITIVE
        assert [e.version for e in catalogue.versions(name)] == [1]


def test_event_type_enum_lists_every_event(catalogue: Catalogue) -> None:
    for name in EVENT_TYPES:
        symbols = catalogue.get(name).field("envelope.event_type").symbols
        assert symbols is not None and set(EVENT_TYPES) <= set(symbols)


def test_lookup_by_name_full_name_and_version(catalogue: Catalogue) -> None:
    entry = catalogue.get("IntelligenceReport")
    assert catalogue.get("org.pentameter.events.IntelligenceReport") is entry
    assert catalogue.get("IntelligenceReport", 1) is entry
    assert catalogue.latest("IntelligenceReport") is entry
    with pytest.raises(UnknownSchema, match="no version 9"):
        catalogue.get("IntelligenceReport", 9)
    with pytest.raises(UnknownSchema, match="no schema named 'Nope'"):
        catalogue.get("Nope")


def test_fingerprints_are_pinned_distinct_and_match_the_spec(catalogue: Catalogue) -> None:
    prints = {name: catalogue.get(name).fingerprint_hex for name in EVENT_TYPES}
    assert prints == PINNED_V1
    assert len(set(prints.values())) == len(prints)
    for name in EVENT_TYPES:
        entry = catalogue.get(name)
        value = _crc64_avro(entry.canonical_form.encode())
        assert entry.fingerprint == value.to_bytes(8, "little")
    again = load_catalogue()
    assert {n: again.get(n).fingerprint for n in EVENT_TYPES} == {
        n: catalogue.get(n).fingerprint for n in EVENT_TYPES
    }


def test_fingerprint_ignores_docs_and_marks(catalogue: Catalogue) -> None:
    entry = catalogue.get("DutyToNotify")
    stripped = json.loads(json.dumps(entry.schema).replace('"doc"', '"note"'))
    other = Catalogue()
    assert other.register(stripped, name="DutyToNotify").fingerprint == entry.fingerprint


def test_lookup_by_fingerprint_in_every_form(catalogue: Catalogue) -> None:
    entry = catalogue.get("Arrest")
    assert catalogue.by_fingerprint(entry.fingerprint) is entry
    assert catalogue.by_fingerprint(entry.fingerprint_hex) is entry
    assert catalogue.by_fingerprint(int.from_bytes(entry.fingerprint, "little")) is entry
    with pytest.raises(UnknownFingerprint, match="0102030405060708"):
        catalogue.by_fingerprint(bytes.fromhex("0102030405060708"))
    with pytest.raises(ValueError):
        fingerprint_bytes(b"short")


def test_shared_types_are_defined_once_and_identical_everywhere(catalogue: Catalogue) -> None:
    envelopes = {
        json.dumps(catalogue.get(n).names["org.pentameter.events.Envelope"], sort_keys=True)
        for n in EVENT_TYPES
    }
    assert len(envelopes) == 1
    for name in EVENT_TYPES:
        text = json.dumps(catalogue.get(name).schema)
        assert text.count('"name": "org.pentameter.events.Envelope"') == 1


def _walk_named(node: object, found: list[dict[str, object]]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_named(item, found)
    elif isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in NAMED_KINDS:
            found.append(node)
        for value in node.values():
            _walk_named(value, found)


def test_every_record_enum_and_field_has_a_doc(catalogue: Catalogue) -> None:
    for name in EVENT_TYPES:
        named: list[dict[str, object]] = []
        _walk_named(catalogue.get(name).schema, named)
        assert named
        for node in named:
            assert str(node.get("doc", "")).strip(), f"{name}: {node['name']} has no doc"
        for info in catalogue.get(name).all_fields:
            assert info.doc.strip(), f"{name}: field {info.path} has no doc"


def test_every_sensitivity_mark_is_from_the_closed_list(catalogue: Catalogue) -> None:
    used: set[str] = set()
    for name in EVENT_TYPES:
        for info in catalogue.fields(name):
            assert info.marks <= ALL_MARKS, info.path
            used |= info.marks
            for cond in info.conditional:
                assert cond.marks <= ALL_MARKS
                used |= cond.marks
    assert used == ALL_MARKS  # every mark is used somewhere, so none is dead


def test_sensitivity_marks_where_the_rules_need_them(catalogue: Catalogue) -> None:
    ir = catalogue.sensitivity("IntelligenceReport")
    assert ir["source.reference"] == {"source"}
    assert ir["source.handling_notes"] == {"source", "free_text"}
    assert ir["narrative"] == {"free_text"}
    assert ir["grading.handling_code"] == {"grading"}
    assert ir["people[].name"] == {"identity"}
    assert ir["people[].date_of_birth"] == {"quasi_identifier"}
    assert ir["people[].ethnicity"] == {"special_category"}
    assert ir["accounts[].account_number"] == {"identity", "financial"}
    assert ir["envelope.event_id"] == frozenset()
    nrm = catalogue.sensitivity("NRMReferral")
    assert "sensitive_location" in nrm["current_address.postcode"]
    assert "quasi_identifier" in nrm["current_address.postcode"]
    assert nrm["health_needs"] == {"special_category", "free_text"}
    arrest = catalogue.sensitivity("Arrest")
    assert arrest["person.name"] == {"identity", "suspect"}
    assert arrest["offences[].description"] == {"suspect"}


def test_duty_to_notify_has_no_identity_fields(catalogue: Catalogue) -> None:
    marks = catalogue.sensitivity("DutyToNotify")
    forbidden = {"identity", "special_category", "sensitive_location", "free_text", "source"}
    assert all(not (m & forbidden) for m in marks.values())
    assert [p for p, m in marks.items() if m] == ["envelope.occurred_at"]


def test_conditional_marks_for_roles_and_safe_houses(catalogue: Catalogue) -> None:
    entry = catalogue.get("IntelligenceReport")
    name = entry.field("people[].name")
    assert [c.condition_path for c in name.conditional] == ["people[].role"]
    assert name.marks_when({"people[].role": "SUSPECT"}) == {"identity", "suspect"}
    assert name.marks_when({"people[].role": "POTENTIAL_VICTIM"}) == {"identity"}
    assert name.marks_when({"people[].role": "UNKNOWN"}) == {"identity", "suspect"}
    lines = entry.field("premises[].address.lines")
    assert lines.marks_when({"premises[].is_safe_house": True, "premises[].role": "WITNESS"}) == {
        "quasi_identifier",
        "sensitive_location",
    }
    kind = entry.field("premises[].premises_type")
    assert "sensitive_location" not in kind.marks_when({"premises[].is_safe_house": True})


def test_field_listing_paths_and_types(catalogue: Catalogue) -> None:
    fields = {f.path: f for f in catalogue.fields("IntelligenceReport")}
    assert fields["envelope.occurred_at"].avro_type == "long(timestamp-millis)"
    assert fields["envelope.review_date"].avro_type == "int(date)"
    assert fields["envelope.event_id"].avro_type == "string(uuid)"
    assert fields["siena_code"].avro_type == "enum<SienaHandlingCode>?"
    assert fields["siena_code"].symbols == ("H0", "H1", "H2", "H3")
    assert fields["exploitation_types"].avro_type == "array<enum<ExploitationType>>"
    assert fields["handling_conditions.recipients"].nullable
    assert fields["people[].name"].repeated and fields["people[].name"].nullable
    assert not fields["narrative"].nullable
    assert "envelope" not in fields and "people" not in fields
    records = {f.path for f in catalogue.fields("IntelligenceReport", include_records=True)}
    assert {"envelope", "people", "premises[].address", "source"} <= records
    with pytest.raises(UnknownFieldPath):
        catalogue.get("IntelligenceReport").field("nope")


def test_register_new_name_version_and_idempotence() -> None:
    cat = Catalogue()
    v1 = {"type": "record", "name": "x.P", "fields": [{"name": "a", "type": "int"}]}
    e1 = cat.register(v1, name="P", compatibility=CompatibilityMode.BACKWARD)
    assert (e1.version, e1.kind, e1.origin) == (1, "projection", "registered")
    assert cat.register(copy.deepcopy(v1), name="P") is e1
    v2 = {**v1, "fields": [*v1["fields"], {"name": "b", "type": "string", "default": ""}]}
    e2 = cat.register(v2, name="P")
    assert e2.version == 2 and cat.latest("P") is e2
    assert cat.by_fingerprint(e1.fingerprint) is e1
    v3 = {**v1, "fields": [*v1["fields"], {"name": "c", "type": "string"}]}
    with pytest.raises(IncompatibleSchema, match="field 'c' added without a default") as err:
        cat.register(v3, name="P")
    assert err.value.findings
    assert cat.latest("P") is e2


def test_register_refuses_unknown_marks_and_clashes() -> None:
    cat = Catalogue()
    bad = {
        "type": "record",
        "name": "x.Q",
        "fields": [{"name": "a", "type": "int", "sensitivity": ["identiy"]}],
    }
    with pytest.raises(SchemaDefinitionError, match="identiy"):
        cat.register(bad)
    good = {"type": "record", "name": "x.Q", "fields": [{"name": "a", "type": "int"}]}
    cat.register(good, name="Q")
    with pytest.raises(CatalogueError, match="same fingerprint"):
        cat.register(good, name="Other")


def test_documents_round_trip_and_detect_tampering(catalogue: Catalogue) -> None:
    docs = json.loads(json.dumps(catalogue.to_documents()))
    assert len(docs) == len(EVENT_TYPES)
    rebuilt = Catalogue.from_documents(docs)
    for name in EVENT_TYPES:
        assert rebuilt.get(name).fingerprint == catalogue.get(name).fingerprint
        assert rebuilt.get(name).sensitivity == catalogue.get(name).sensitivity
        assert rebuilt.get(name).kind == "event"
        assert rebuilt.mode(name) is CompatibilityMode.FULL_TRANSITIVE
    docs[0]["schema"]["fields"].append({"name": "extra", "type": "int", "default": 0})
    with pytest.raises(FingerprintMismatch, match=docs[0]["name"]):
        Catalogue.from_documents(docs)
