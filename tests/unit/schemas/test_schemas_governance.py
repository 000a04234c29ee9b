"""Catalogue <-> governance-topic messages, and a partner resolving without the repository."""

from __future__ import annotations

import json

import pytest

from schemas import (
    Codec,
    GovernanceMessageError,
    apply_message,
    catalogue_from_messages,
    catalogue_messages,
    entry_message,
    load_catalogue,
    sample,
)
from schemas.catalogue import Catalogue


def test_messages_rebuild_a_catalogue_that_decodes_everything() -> None:
    publisher = load_catalogue()
    messages = catalogue_messages(publisher)
    assert [k for k, _ in messages][:2] == [b"Arrest/v1", b"AssetSeizure/v1"]
    partner = catalogue_from_messages(messages)
    data = Codec(publisher).encode("NRMReferral", sample("NRMReferral"))
    entry, record = Codec(partner).decode(data)
    assert entry.label == "NRMReferral v1" and entry.origin == "governance"
    assert record == sample("NRMReferral")
    assert partner.sensitivity("NRMReferral") == publisher.sensitivity("NRMReferral")


def test_values_are_deterministic_json_documents() -> None:
    entry = load_catalogue().get("Arrest")
    key, value = entry_message(entry)
    assert key == b"Arrest/v1"
    assert entry_message(load_catalogue().get("Arrest")) == (key, value)
    doc = json.loads(value)
    assert doc["fingerprint"] == entry.fingerprint_hex and doc["version"] == 1


def test_later_messages_win_and_tombstones_remove() -> None:
    cat = load_catalogue()
    arrest, visit = entry_message(cat.get("Arrest")), entry_message(cat.get("PremisesVisit"))
    rebuilt = catalogue_from_messages([arrest, visit, (visit[0], None)])
    assert rebuilt.names() == ["Arrest"]


def test_apply_message_adds_projections_live() -> None:
    source = load_catalogue()
    projection = {
        "type": "record",
        "name": "p.ArrestForCps",
        "fields": [{"name": "offences_count", "type": "int", "doc": "How many offences."}],
    }
    entry = source.register(projection, name="Arrest@cps")
    partner = Catalogue()
    key, value = entry_message(entry)
    added = apply_message(partner, key, value)
    assert added is not None and partner.by_fingerprint(entry.fingerprint).name == "Arrest@cps"
    assert apply_message(partner, key, value) is partner.get("Arrest@cps")
    assert apply_message(partner, key, None) is None
    assert "Arrest@cps" in partner


def test_bad_messages_are_refused_with_the_key() -> None:
    cat = load_catalogue()
    key, value = entry_message(cat.get("Arrest"))
    with pytest.raises(GovernanceMessageError, match="key and value disagree"):
        catalogue_from_messages([(b"Arrest/v2", value)])
    with pytest.raises(GovernanceMessageError, match="not JSON"):
        catalogue_from_messages([(key, b"\xff")])
    with pytest.raises(GovernanceMessageError, match="<name>/v<version>"):
        catalogue_from_messages([(b"Arrest", value)])
    doc = json.loads(value)
    doc["fingerprint"] = "0000000000000000"
    with pytest.raises(GovernanceMessageError, match="claims fingerprint"):
        catalogue_from_messages([(key, json.dumps(doc).encode())])
