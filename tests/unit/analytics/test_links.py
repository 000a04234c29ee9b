"""Cross-force link detection on pseudonymised tokens, without faust or Kafka."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from consumers.analytics import links
from policies import InMemoryKeyRing, PolicyEngine, PseudonymSecrets
from producers.generator import generate
from schemas.catalogue import load_catalogue
from schemas.validation import validate

T1 = "pt1_" + "1" * 32
T2 = "pt1_" + "2" * 32


def _sighting(event_id: str, force: str, at: str = "2007-10-01T00:00:00+00:00") -> dict[str, str]:
    return {"event_id": event_id, "event_type": "IntelligenceReport", "force": force, "agency": "a", "at": at}


def test_mentions_take_tokens_only_from_every_identifier_field() -> None:
    record: dict[str, Any] = {
        "envelope": {"event_type": "IntelligenceReport"},
        "phones": [{"number": T1, "imei": None}, {"number": "+447700900001"}],  # raw: never used
        "vehicles": [{"vrm": T2}],
        "premises": [{"address": T1}],
        "people": [{"name": T2, "other_names": [T1]}],
        "accounts": [],
    }
    assert links.mentions(record) == [
        ("phone", T1), ("vehicle", T2), ("premises", T1), ("person", T2), ("person", T1)
    ]  # fmt: skip
    visit = {"envelope": {"event_type": "PremisesVisit"}, "premises": {"address": T2}}
    assert links.mentions(visit) == [("premises", T2)]
    assert links.mentions({"envelope": {"event_type": "DutyToNotify"}}) == []


def test_a_token_seen_by_two_forces_raises_an_alert() -> None:
    state, alert = links.observe(None, "phone", T1, _sighting("e1", "KENT", "2007-10-02"))
    assert alert is None and state["forces"] == ["KENT"]
    state, alert = links.observe(state, "phone", T1, _sighting("e2", "KENT", "2007-10-01"))
    assert alert is None  # same force: not a cross-force link
    state, alert = links.observe(state, "phone", T1, _sighting("e3", "DORSET", "2007-10-09"))
    assert alert is not None
    assert alert["forces"] == ["DORSET", "KENT"] and alert["event_ids"] == ["e1", "e2", "e3"]
    assert (alert["first_seen"], alert["last_seen"], alert["count"]) == ("2007-10-01", "2007-10-09", 3)
    assert alert["token"] == T1 and alert["kind"] == "phone" and len(alert["sightings"]) == 3
    again, repeat = links.observe(state, "phone", T1, _sighting("e3", "DORSET"))
    assert repeat is None and again == state  # a redelivered event changes nothing
    _, more = links.observe(state, "phone", T1, _sighting("e4", "KENT"))
    assert more is not None and more["count"] == 4  # a linked token seen again: alert again


def test_raw_identifiers_are_refused() -> None:
    with pytest.raises(ValueError):
        links.observe(None, "phone", "+447700900001", _sighting("e1", "KENT"))


def test_planted_links_are_found_in_the_cells_projection() -> None:
    """The generator's planted links, found on the tokens the ncc agreement produces."""
    engine = PolicyEngine.load(
        load_catalogue(),
        secrets=PseudonymSecrets(bytes(range(32))),
        encryptor=InMemoryKeyRing().encryptor(),
        today=date(2026, 6, 1),
    )
    generated = generate("pentameter2", seed=5, scale=0.05)
    projected: list[dict[str, Any]] = []
    for file in generated.lines:
        if file.endswith(".json"):
            continue
        for raw in generated.good_records(file):
            record = validate(raw)
            routing = engine.route(record["envelope"]["event_type"], copy.deepcopy(record))
            projected += [d.record for d in routing.deliveries if d.partner == "ncc"]
    found = links.detect(projected)
    by_reports = {
        (
            s["kind"],
            tuple(sorted({x["event_id"] for x in s["sightings"] if x["event_type"] == "IntelligenceReport"})),
        )
        for s in found.values()
    }
    seen = {str(r["envelope"]["event_id"]): r["envelope"]["force_area"] for r in projected}
    checked = 0
    for link in generated.ground_truth["cross_force_links"]:
        ids = tuple(e for e in link["event_ids"] if e in seen)
        if len({seen[e] for e in ids}) >= 2:
            assert (link["kind"], ids) in by_reports, link
            checked += 1
    assert checked > 0
    assert all(links.is_token(s["token"]) for s in found.values())
