"""Validation: JSON conversion, structural problems and every domain rule, each naming its field."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas import RecordInvalid, sample, to_json, validate
from schemas.samples import SAMPLES, sample_json
from schemas.validation import Issue, check, read_jsonl, validate_many

Record = dict[str, Any]


def issues_of(record: Any, **kwargs: Any) -> list[tuple[str, str]]:
    converted, issues = check(record, **kwargs)
    assert converted is None, "expected the record to be refused"
    return [(i.path, i.reason) for i in issues]


def paths_of(record: Any, **kwargs: Any) -> list[str]:
    return [p for p, _ in issues_of(record, **kwargs)]


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_samples_are_valid_typed_and_as_json(event_type: str) -> None:
    record = sample(event_type)
    assert validate(record) == record
    as_json = sample_json(event_type)
    json.dumps(as_json)  # really JSON-friendly
    assert validate(as_json) == record
    assert to_json(validate(as_json)) == as_json


def test_readable_issue_names_event_and_field() -> None:
    record = sample("IntelligenceReport")
    record["grading"]["source_evaluation"] = "X"
    with pytest.raises(RecordInvalid) as err:
        validate(record)
    event_id = record["envelope"]["event_id"]
    assert str(err.value) == (
        f"event {event_id} field grading.source_evaluation: 'X' is not a 3x5x2 source "
        "evaluation (expected 1, 2 or 3)"
    )
    assert err.value.issues == (
        Issue(
            f"event {event_id}",
            "grading.source_evaluation",
            "'X' is not a 3x5x2 source evaluation (expected 1, 2 or 3)",
        ),
    )


def test_several_issues_listed_one_per_line_with_caller_identity() -> None:
    record = sample_json("Arrest")
    record["envelope"]["occurred_at"] = "yesterday"
    record["offences"][0]["legislation"] = "THEFT_ACT"
    with pytest.raises(RecordInvalid) as err:
        validate(record, identity="row 7")
    text = str(err.value)
    assert text.startswith("2 problems:\n")
    assert (
        "row 7 (event 7f1c6a8e-0000-4000-8000-000000000007) field envelope.occurred_at: "
        "'yesterday' is not an ISO 8601 date-time" in text
    )
    assert "field offences[0].legislation: 'THEFT_ACT' is not a Legislation" in text


def mutate(event_type: str, change: Callable[[Record], None], *, as_json: bool = False) -> Record:
    record = sample_json(event_type) if as_json else sample(event_type)
    change(record)
    return record


@pytest.mark.parametrize(
    ("event_type", "change", "path", "words"),
    [
        # structure
        ("Arrest", lambda r: r.pop("offences"), "offences", "missing and has no default"),
        ("Arrest", lambda r: r.update(extra=1), "extra", "not a field of the schema"),
        ("Arrest", lambda r: r["person"].update(name="  "), "person.name", "blank"),
        ("Arrest", lambda r: r["person"].update(age="36"), "person.age", "not an integer"),
        ("Arrest", lambda r: r["envelope"].update(event_id="nope"), "envelope.event_id", "not a UUID"),
        (
            "Arrest",
            lambda r: r["envelope"].update(occurred_at="2008-02-14T22:30:00"),
            "envelope.occurred_at",
            "no UTC offset",
        ),
        (
            "Arrest",
            lambda r: r["envelope"].update(review_date="14/02/2014"),
            "envelope.review_date",
            "not an ISO 8601 date",
        ),
        (
            "Arrest",
            lambda r: r["envelope"].update(force_area="GLOS"),
            "envelope.force_area",
            "not a ForceArea",
        ),
        ("Arrest", lambda r: r["person"].update(is_child=None), "person.is_child", "required"),
        # envelope rules
        (
            "Arrest",
            lambda r: r["envelope"].update(schema_version=2),
            "envelope.schema_version",
            "has no version 2",
        ),
        (
            "Arrest",
            lambda r: r["envelope"].update(region="LONDON"),
            "envelope.region",
            "GLOUCESTERSHIRE is in SOUTH_WEST",
        ),
        (
            "Arrest",
            lambda r: r["envelope"].update(recorded_at=datetime(2008, 2, 1, tzinfo=UTC)),
            "envelope.recorded_at",
            "before",
        ),
        (
            "Arrest",
            lambda r: r["envelope"].update(review_date=date(2008, 2, 14)),
            "envelope.review_date",
            "after the date",
        ),
        # intelligence reports
        (
            "IntelligenceReport",
            lambda r: r["grading"].update(scheme="G5X5X5"),
            "grading.source_evaluation",
            "not a 5x5x5 source evaluation (expected A, B, C, D or E)",
        ),
        (
            "IntelligenceReport",
            lambda r: r.update(handling_conditions=None),
            "handling_conditions",
            "handling code C requires conditions",
        ),
        (
            "IntelligenceReport",
            lambda r: r["grading"].update(handling_code="P"),
            "handling_conditions",
            "do not restrict sharing",
        ),
        (
            "IntelligenceReport",
            lambda r: r.update(siena_code="H3") or r["handling_conditions"].update(conditions=[]),
            "handling_conditions.conditions",
            "H3",
        ),
        (
            "IntelligenceReport",
            lambda r: r["handling_conditions"].update(recipients=[]),
            "handling_conditions.recipients",
            "at least one recipient",
        ),
        (
            "IntelligenceReport",
            lambda r: r["phones"][0].update(entity_id="p1"),
            "phones[0].entity_id",
            "already used by people[0]",
        ),
        (
            "IntelligenceReport",
            lambda r: r["links"][0].update(to_entity_id="zz"),
            "links[0].to_entity_id",
            "not the entity_id",
        ),
        ("IntelligenceReport", lambda r: r["people"][1].update(age=15), "people[1].is_child", "was 15"),
        (
            "IntelligenceReport",
            lambda r: r["people"][0].update(age=50),
            "people[0].age",
            "does not match date of birth",
        ),
        (
            "IntelligenceReport",
            lambda r: r["people"][0].update(nationality="Romanian"),
            "people[0].nationality",
            "ISO 3166-1 alpha-3",
        ),
        (
            "IntelligenceReport",
            lambda r: r["premises"][0]["address"].update(postcode="12345"),
            "premises[0].address.postcode",
            "not a UK postcode",
        ),
        (
            "IntelligenceReport",
            lambda r: r["accounts"][0].update(sort_code="1234"),
            "accounts[0].sort_code",
            "not a sort code",
        ),
        # victims, consent and children
        (
            "NRMReferral",
            lambda r: r.update(is_child=False, presumed_child=False, consent="REFUSED"),
            "consent",
            "DutyToNotify",
        ),
        (
            "NRMReferral",
            lambda r: r.update(is_child=False, presumed_child=False, consent="GIVEN"),
            "consent_recorded_at",
            "required",
        ),
        ("NRMReferral", lambda r: r.update(is_child=False), "is_child", "presumed child is a child"),
        ("NRMReferral", lambda r: r.update(presumed_child=False), "presumed_child", "aged 19"),
        (
            "NRMReferral",
            lambda r: (
                r["victim"].update(age=16)
                or r.update(
                    is_child=False,
                    presumed_child=False,
                    consent="GIVEN",
                    consent_recorded_at=datetime(2008, 2, 15, tzinfo=UTC),
                )
            ),
            "is_child",
            "was 16",
        ),
        ("NRMReferral", lambda r: r.update(exploitation_types=[]), "exploitation_types", "at least one"),
        (
            "NRMReferral",
            lambda r: r.update(accommodated=False),
            "accommodation_force_area",
            "accommodated is false",
        ),
        (
            "PotentialVictimEncounter",
            lambda r: r.update(consent="NOT_REQUIRED_CHILD"),
            "consent",
            "adults must consent",
        ),
        (
            "PotentialVictimEncounter",
            lambda r: r["victim"].update(date_of_birth=date(2011, 1, 1), age=None),
            "is_child",
            "was 15",
        ),
        (
            "PotentialVictimEncounter",
            lambda r: r["victim"].update(languages=["Romanian"]),
            "victim.languages[0]",
            "ISO 639-1",
        ),
        # duty to notify
        ("DutyToNotify", lambda r: r.update(age_band="UNDER_18"), "age_band", "never made for a child"),
        ("DutyToNotify", lambda r: r.update(age_band="UNKNOWN"), "age_band", "treated as a child"),
        ("DutyToNotify", lambda r: r["envelope"].update(case_id="OP-1"), "envelope.case_id", "must be null"),
        (
            "DutyToNotify",
            lambda r: r["envelope"].update(occurred_at=datetime(2026, 2, 14, 22, 30, tzinfo=UTC)),
            "envelope.occurred_at",
            "2026-02-01T00:00:00Z",
        ),
        ("DutyToNotify", lambda r: r.update(encounter_month="2008-13"), "encounter_month", "YYYY-MM"),
        # decisions, visits, arrests, assets
        (
            "NRMDecision",
            lambda r: r.update(recovery_period_end=None),
            "recovery_period_end",
            "required after a positive Reasonable Grounds",
        ),
        (
            "NRMDecision",
            lambda r: r.update(recovery_period_end=date(2008, 3, 1)),
            "recovery_period_end",
            "less than 30 days",
        ),
        (
            "NRMDecision",
            lambda r: r.update(stage="CONCLUSIVE_GROUNDS"),
            "recovery_period_end",
            "must be null",
        ),
        ("PremisesVisit", lambda r: r.update(arrests=0), "arrests", "POTENTIAL_VICTIMS_AND_ARRESTS"),
        (
            "PremisesVisit",
            lambda r: r.update(potential_victims_identified=-1, outcome="NO_ACCESS"),
            "potential_victims_identified",
            "negative",
        ),
        ("Arrest", lambda r: r["person"].update(role="WITNESS"), "person.role", "SUSPECT"),
        ("Arrest", lambda r: r.update(offences=[]), "offences", "at least one"),
        (
            "AssetSeizure",
            lambda r: r.update(account=None),
            "account",
            "required for an account freezing order",
        ),
        ("AssetSeizure", lambda r: r.update(amount_pence=0), "amount_pence", "more than zero"),
        ("AssetSeizure", lambda r: r.update(currency="pounds"), "currency", "ISO 4217"),
        (
            "AssetSeizure",
            lambda r: r["subject"].update(role="POTENTIAL_VICTIM"),
            "subject.role",
            "SUSPECT or ASSOCIATE",
        ),
    ],
)
def test_each_rule_names_its_field(
    event_type: str, change: Callable[[Record], None], path: str, words: str
) -> None:
    record = mutate(event_type, change)
    problems = issues_of(record)
    assert any(p == path and words in reason for p, reason in problems), problems


def test_event_type_must_match_the_schema() -> None:
    record = sample("Arrest")
    record["envelope"]["event_type"] = "AssetSeizure"
    assert issues_of(record, event_type="Arrest") == [
        ("envelope.event_type", "is 'AssetSeizure' but the record is validated as Arrest")
    ]
    record["envelope"]["event_type"] = "Burglary"
    assert paths_of(record) == ["envelope.event_type"]


def test_json_conversion_types() -> None:
    record = sample_json("NRMDecision")
    record["envelope"]["occurred_at"] = "2008-02-14T23:30:00.123456+01:00"
    converted = validate(record)
    assert converted["envelope"]["occurred_at"] == datetime(2008, 2, 14, 22, 30, 0, 123000, tzinfo=UTC)
    assert isinstance(converted["referral_event_id"], uuid.UUID)
    assert converted["decision_date"] == date(2026, 2, 19)
    record["envelope"]["recorded_at"] = 1203066312345  # epoch millis are accepted too
    assert validate(record)["envelope"]["recorded_at"] == datetime(2008, 2, 15, 9, 5, 12, 345000, tzinfo=UTC)


def test_defaults_are_filled_in() -> None:
    record = sample_json("DutyToNotify")
    del record["gender"], record["exploited_in_uk"]
    converted = validate(record)
    assert converted["gender"] == "UNKNOWN" and converted["exploited_in_uk"] is None


def test_explicit_version_and_unknown_event() -> None:
    assert paths_of({"envelope": {"event_type": "Nope"}}) == ["envelope.event_type"]
    assert paths_of("not a record", event_type="Arrest") == [""]


def test_read_jsonl_reports_every_bad_line(tmp_path: Path) -> None:
    good = json.dumps(sample_json("Arrest"))
    bad = sample_json("DutyToNotify")
    bad["age_band"] = "UNDER_18"
    lines = [good, "", "{not json", json.dumps(bad), good]
    with pytest.raises(RecordInvalid) as err:
        read_jsonl(io.StringIO("\n".join(lines)))
    text = str(err.value)
    assert "line 3: not valid JSON" in text
    assert "line 4 (event 7f1c6a8e-0000-4000-8000-000000000004) field age_band:" in text
    path = tmp_path / "ok.jsonl"
    path.write_text(good + "\n\n" + json.dumps(sample_json("PremisesVisit")) + "\n")
    assert read_jsonl(path) == [sample("Arrest"), sample("PremisesVisit")]


def test_validate_many_numbers_records() -> None:
    bad = sample("Arrest")
    bad["offences"] = []
    with pytest.raises(RecordInvalid, match=r"record 2 .* field offences"):
        validate_many([sample("Arrest"), bad])
    assert validate_many([sample("Arrest")]) == [sample("Arrest")]
