"""Cross-force link detection on pseudonymised tokens, without faust or Kafka."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from consumers.analytics import links
from policies import InMemoryKeyRing, PolicyEngine, PseudonymSecrets
from producers import pentameter2
from producers.generator import generate
from schemas.catalogue import load_catalogue
from schemas.validation import validate

T1 = "pt1_" + "1" * 32
T2 = "pt1_" + "2" * 32


T3 = "pt1_" + "3" * 32
PHONE = links.Mention("phone", T1)


def _sighting(
    event_id: str, force: str, at: str = "2007-10-01T00:00:00+00:00", with_tokens: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {"event_id": event_id, "event_type": "IntelligenceReport", "force": force, "agency": "a", "at": at,
            "with_tokens": list(with_tokens)}  # fmt: skip


def test_mentions_take_tokens_only_from_every_identifier_field() -> None:
    record: dict[str, Any] = {
        "envelope": {"event_type": "IntelligenceReport"},
        "phones": [{"number": T1, "imei": None}, {"number": "+447700900001"}],  # raw: never used
        "vehicles": [{"vrm": T2}],
        "premises": [{"address": T1}],
        "people": [{"name": T2, "other_names": [T1], "age": 34, "gender": "MALE", "nationality": "CHN"}],
        "accounts": [],
    }
    assert [(m.kind, m.token, m.profile) for m in links.mentions(record)] == [
        ("phone", T1, ""), ("vehicle", T2, ""), ("premises", T1, ""),
        ("person", T2, "34/MALE/CHN"), ("person", T1, "34/MALE/CHN"),
    ]  # fmt: skip
    assert links.mentions(record)[3].key == f"person|{T2}|34/MALE/CHN"
    assert links.Sighting.of(record).with_tokens == (T1, T2)  # phone, vehicle, premises: no names
    visit = {"envelope": {"event_type": "PremisesVisit"}, "premises": {"address": T2}}
    assert links.mentions(visit) == [links.Mention("premises", T2)]
    assert links.mentions({"envelope": {"event_type": "DutyToNotify"}}) == []


def test_a_token_seen_by_two_forces_raises_an_alert() -> None:
    state, alert = links.observe(None, PHONE, _sighting("e1", "KENT", "2007-10-02"))
    assert alert is None and state["forces"] == ["KENT"]
    state, alert = links.observe(state, PHONE, _sighting("e2", "KENT", "2007-10-01"))
    assert alert is None  # same force: not a cross-force link
    state, alert = links.observe(state, PHONE, _sighting("e3", "DORSET", "2007-10-09"))
    assert alert is not None
    assert alert["forces"] == ["DORSET", "KENT"] and alert["event_ids"] == ["e1", "e2", "e3"]
    assert (alert["first_seen"], alert["last_seen"], alert["count"]) == ("2007-10-01", "2007-10-09", 3)
    assert alert["token"] == T1 and alert["kind"] == "phone" and len(alert["sightings"]) == 3
    again, repeat = links.observe(state, PHONE, _sighting("e3", "DORSET"))
    assert repeat is None and again == state  # a redelivered event changes nothing
    _, more = links.observe(state, PHONE, _sighting("e4", "KENT"))
    assert more is not None and more["count"] == 4  # a linked token seen again: alert again


def test_raw_identifiers_are_refused() -> None:
    with pytest.raises(ValueError):
        links.observe(None, links.Mention("phone", "+447700900001"), _sighting("e1", "KENT"))


def test_a_common_name_in_two_forces_is_not_a_link_until_an_identifier_corroborates_it() -> None:
    """A name is weak: the same name and profile in two forces is only a link when the person is
    mentioned with the same phone, vehicle, premises or account in both."""
    person = links.Mention("person", T2, "34/MALE/CHN")
    state, alert = links.observe(None, person, _sighting("e1", "KENT", with_tokens=(T1,)))
    state, alert = links.observe(state, person, _sighting("e2", "DORSET", with_tokens=(T3,)))
    assert alert is None and state["forces"] == ["DORSET", "KENT"] and not links.is_link(state)
    state, alert = links.observe(state, person, _sighting("e3", "DORSET", with_tokens=(T1,)))
    assert alert is not None and links.is_link(state)
    assert alert["corroborated_by"] == [T1] and alert["profile"] == "34/MALE/CHN"
    assert "with_tokens" not in alert["sightings"][0]
    _, more = links.observe(state, person, _sighting("e4", "CUMBRIA"))
    assert more is not None and more["count"] == 4  # once corroborated, every new sighting alerts


def test_the_same_name_with_another_profile_is_another_person() -> None:
    records: list[dict[str, Any]] = [
        {"envelope": {"event_type": "IntelligenceReport", "event_id": f"e{i}", "force_area": force},
         "people": [{"name": T2, "age": age, "gender": "MALE", "nationality": "CHN"}],
         "phones": [{"number": T1}]}
        for i, (force, age) in enumerate((("KENT", 34), ("DORSET", 35)))
    ]  # fmt: skip
    found = links.detect(records)
    assert [s["kind"] for s in found.values()] == ["phone"]  # the phone links; the two men do not
    records[1]["people"][0]["age"] = 34
    assert sorted(s["kind"] for s in links.detect(records).values()) == ["person", "phone"]


def _people(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The named people of a record, in field order (the same in the raw and the projected record)."""
    kind = record["envelope"]["event_type"]
    if kind == "IntelligenceReport":
        return list(record.get("people") or [])
    holder = {"PotentialVictimEncounter": "victim", "NRMReferral": "victim", "Arrest": "person",
              "AssetSeizure": "subject"}.get(kind)  # fmt: skip
    return [record[holder]] if holder and record.get(holder) else []


def test_planted_links_are_found_in_the_cells_projection() -> None:
    """The generator's planted links, found on the tokens the ncc agreement produces; person links
    are only the network members seen across forces, not every common name."""
    seed, scale = 5, 0.2
    engine = PolicyEngine.load(
        load_catalogue(),
        secrets=PseudonymSecrets(bytes(range(32))),
        encryptor=InMemoryKeyRing().encryptor(),
        today=date(2026, 6, 1),
    )
    generated = generate("pentameter2", seed=seed, scale=scale)
    projected: list[dict[str, Any]] = []
    raw_people: dict[tuple[str, str], set[tuple[Any, ...]]] = {}
    for file in generated.lines:
        if file.endswith(".json"):
            continue
        for raw in generated.good_records(file):
            record = validate(raw)
            routing = engine.route(record["envelope"]["event_type"], copy.deepcopy(record))
            for d in routing.deliveries:
                if d.partner != "ncc":
                    continue
                projected.append(d.record)
                for seen, person in zip(_people(d.record), _people(raw), strict=True):
                    person_seen = (person["name"], person.get("age"), person.get("nationality"))
                    key = (str(raw["envelope"]["event_id"]), seen["name"])
                    raw_people.setdefault(key, set()).add(person_seen)
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

    networks = pentameter2.build(seed, scale).networks
    members = {(m.name, m.age, m.nationality) for n in networks for m in n.members}
    people = [s for s in found.values() if s["kind"] == "person"]
    strong = {s["token"] for s in found.values() if s["kind"] != "person"}
    names_only = {s["token"] for s in _name_links(projected)}
    print(f"person links: {len(people)} corroborated, {len(names_only)} on the name alone")
    assert 0 < len(people) < len(names_only) / 10
    for link in people:
        who = set().union(*(raw_people[(e, link["token"])] for e in link["event_ids"]))
        assert len(who) == 1 and who <= members, who  # one network member, nobody else
        assert set(link["corroborated_by"]) <= strong


def _name_links(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Links on name tokens alone (the rule before corroboration), to show what it cost."""
    forces: dict[str, set[str]] = {}
    for record in records:
        for mention in links.mentions(record):
            if mention.kind == "person":
                forces.setdefault(mention.token, set()).add(record["envelope"]["force_area"])
    return [{"token": t} for t, f in forces.items() if len(f) >= 2]
